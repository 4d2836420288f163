"""A cover's renditions: made after the save that stored it, listed in srcset only once made, deleted with it."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image, ImageFilter

from articles import cover_renditions
from articles.cover_renditions import PREVIEW_WIDTH, renditions_of
from articles.models import Article
from tests.articles.test_editing import WRITE_URL, edit_data, edit_url, form_data
from tests.articles.test_link_previews import head_of, meta_content
from tests.factories import ArticleFactory, make_author

pytestmark = pytest.mark.django_db


def photo_bytes(size: tuple[int, int]) -> bytes:
    """A JPEG with a photo's kind of detail: fine grain over smooth gradients (a flat colour compresses to nothing)."""
    grain = Image.effect_noise(size, 48).filter(ImageFilter.GaussianBlur(1.2))
    gradient = Image.linear_gradient("L").resize(size)
    buffer = io.BytesIO()
    Image.merge("RGB", (gradient, grain, Image.blend(gradient, grain, 0.5))).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def media(name: str) -> Path:
    from django.conf import settings

    return Path(settings.MEDIA_ROOT) / name


def srcset_of(html: str, css_class: str) -> dict[str, int]:
    """The srcset of the <img> with ``css_class``, as {url: width}."""
    [img] = re.findall(rf'<img [^>]*class="[^"]*{css_class}[^"]*"[^>]*>', html)
    found = re.search(r'srcset="([^"]*)"', img)
    if found is None:
        return {}
    return {url: int(width[:-1]) for url, width in (item.split() for item in found.group(1).split(", "))}


@pytest.fixture
def author_client(client, author):
    client.force_login(author.user)
    return client


def write_with_cover(author_client, content: bytes, capture, **fields) -> Article:
    cover = SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")
    with capture(execute=True):
        author_client.post(WRITE_URL, {**form_data(status="published", **fields), "cover": cover})
    return Article.objects.get()


def covered(cover: bytes, *, capture, **fields) -> Article:
    article = ArticleFactory(status="published", **fields)
    with capture(execute=True):
        article.cover.save("photo.jpg", ContentFile(cover), save=True)
    return article


def test_uploading_a_cover_makes_smaller_webp_renditions(author_client, django_capture_on_commit_callbacks):
    article = write_with_cover(author_client, photo_bytes((3000, 1500)), django_capture_on_commit_callbacks)
    renditions = renditions_of(article.cover.name)
    assert (renditions.width, renditions.height) == (1600, 800)
    assert [(r.width, r.height) for r in renditions.srcset] == [(480, 240), (960, 480), (1600, 800)]
    original = media(article.cover.name).stat().st_size
    for rendition in renditions.srcset:
        with Image.open(media(rendition.name)) as image:
            assert image.format == "WEBP" and image.size == (rendition.width, rendition.height)
        assert media(rendition.name).stat().st_size < original
    # What a phone downloads: a fraction of the original.
    assert media(renditions.srcset[0].name).stat().st_size < original / 4
    with Image.open(media(renditions.preview.name)) as preview:
        assert preview.format == "JPEG" and preview.size == (PREVIEW_WIDTH, 600)


def test_a_small_cover_gets_no_upscaled_rendition_and_no_preview(django_capture_on_commit_callbacks):
    article = covered(photo_bytes((300, 200)), capture=django_capture_on_commit_callbacks)
    renditions = renditions_of(article.cover.name)
    assert [(r.width, r.height) for r in renditions.srcset] == [(300, 200)]
    assert renditions.preview is None


def test_the_page_lists_exactly_the_renditions_made(client, django_capture_on_commit_callbacks):
    article = covered(photo_bytes((1200, 630)), capture=django_capture_on_commit_callbacks)
    page = client.get(article.get_absolute_url()).content.decode()
    listed = srcset_of(page, "article-cover")
    assert listed == {f"/media/{r.name}": r.width for r in renditions_of(article.cover.name).srcset}
    assert sorted(listed.values()) == [480, 960, 1200]
    assert all(media(url.removeprefix("/media/")).exists() for url in listed)
    assert 'width="1200" height="630"' in page and 'sizes="(min-width: 48rem) 46rem' in page
    card = srcset_of(client.get(reverse("home")).content.decode(), "article-thumb")
    assert card == listed


def test_without_renditions_the_page_shows_the_original_alone(client):
    article = ArticleFactory(status="published")
    article.cover.save("photo.jpg", ContentFile(photo_bytes((1600, 840))), save=True)  # no commit: none made
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'src="{article.cover.url}"' in page
    assert srcset_of(page, "article-cover") == {} and "sizes=" not in page


def test_a_failure_to_make_them_keeps_the_article_and_its_cover_and_is_logged(
    author_client, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cover_renditions, "encode_image", disk_full)
    with caplog.at_level(logging.ERROR, logger="articles.cover_renditions"):
        article = write_with_cover(author_client, photo_bytes((2000, 1000)), django_capture_on_commit_callbacks)
    assert media(article.cover.name).exists()
    assert renditions_of(article.cover.name) is None
    assert not media(f"renditions/{article.cover.name}").exists() or not any(
        media(f"renditions/{article.cover.name}").iterdir()
    )
    assert "Could not make the renditions of cover" in caplog.text
    page = author_client.get(article.get_absolute_url())
    assert page.status_code == 200 and srcset_of(page.content.decode(), "article-cover") == {}


def test_a_half_written_manifest_counts_as_none(client, django_capture_on_commit_callbacks):
    article = covered(photo_bytes((1000, 500)), capture=django_capture_on_commit_callbacks)
    media(f"renditions/{article.cover.name}/manifest.json").write_text('{"width": 10')
    page = client.get(article.get_absolute_url()).content.decode()
    assert srcset_of(page, "article-cover") == {}


def test_deleting_the_article_deletes_the_renditions_after_the_commit(django_capture_on_commit_callbacks):
    article = covered(photo_bytes((1600, 800)), capture=django_capture_on_commit_callbacks)
    files = [media(r.name) for r in renditions_of(article.cover.name).srcset]
    assert all(path.exists() for path in files)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        article.delete()
    assert all(path.exists() for path in files)  # not before the commit
    for callback in callbacks:
        callback()
    assert not media(article.cover.name).exists()
    assert not any(path.exists() for path in files)
    assert not media(f"renditions/{article.cover.name}/manifest.json").exists()


def test_a_replaced_covers_renditions_stay_while_a_revision_names_it(
    author_client, author, django_capture_on_commit_callbacks
):
    article = write_with_cover(author_client, photo_bytes((1600, 800)), django_capture_on_commit_callbacks)
    first = article.cover.name
    second = SimpleUploadedFile("second.jpg", photo_bytes((1000, 500)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        author_client.post(edit_url(article), {**edit_data(article), "cover": second})
    article.refresh_from_db()
    assert article.cover.name != first
    assert renditions_of(first) is not None  # the revision before the edit still shows it
    assert [r.width for r in renditions_of(article.cover.name).srcset] == [480, 960, 1000]


def test_the_link_preview_takes_the_1200_wide_copy_or_else_the_original(client, django_capture_on_commit_callbacks):
    big = covered(photo_bytes((1600, 800)), capture=django_capture_on_commit_callbacks)
    head = head_of(client.get(big.get_absolute_url()))
    preview = renditions_of(big.cover.name).preview
    assert meta_content(head, "og:image").endswith(f"/media/{preview.name}")
    assert meta_content(head, "twitter:image") == meta_content(head, "og:image")
    small = covered(photo_bytes((1000, 500)), capture=django_capture_on_commit_callbacks)
    head = head_of(client.get(small.get_absolute_url()))
    assert meta_content(head, "og:image").endswith(small.cover.url)


def test_the_command_makes_the_missing_ones_and_is_idempotent(capsys):
    made_before = []
    for _ in range(2):
        article = ArticleFactory(status="published")
        article.cover.save("photo.jpg", ContentFile(photo_bytes((1000, 500))), save=True)  # no commit: none made
        made_before.append(article.cover.name)
    ArticleFactory(status="published")  # no cover
    call_command("make_cover_renditions")
    assert "Renditions made for 2 cover(s); 0 had them; 0 failed." in capsys.readouterr().out
    assert all(renditions_of(name) is not None for name in made_before)
    manifest = media(f"renditions/{made_before[0]}/manifest.json")
    written = manifest.stat().st_mtime_ns
    call_command("make_cover_renditions")
    assert "Renditions made for 0 cover(s); 2 had them; 0 failed." in capsys.readouterr().out
    assert manifest.stat().st_mtime_ns == written
    call_command("make_cover_renditions", "--force")
    assert "Renditions made for 2 cover(s); 0 had them; 0 failed." in capsys.readouterr().out
    assert [r.width for r in renditions_of(made_before[0]).srcset] == [480, 960, 1000]


def test_the_command_reports_a_cover_missing_on_disk(capsys):
    article = ArticleFactory(status="published")
    article.cover.save("photo.jpg", ContentFile(photo_bytes((600, 300))), save=True)
    media(article.cover.name).unlink()
    call_command("make_cover_renditions")
    captured = capsys.readouterr()
    assert "0 had them; 1 failed." in captured.out and article.cover.name in captured.err


def test_renditions_cost_the_article_page_and_listings_no_query(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    author = make_author()
    plain = ArticleFactory(status="published", author=author)
    with django_assert_max_num_queries(20) as without:
        client.get(plain.get_absolute_url())
    article = covered(photo_bytes((1600, 800)), capture=django_capture_on_commit_callbacks, author=author)
    with django_assert_max_num_queries(len(without.captured_queries)):
        page = client.get(article.get_absolute_url()).content.decode()
    assert srcset_of(page, "article-cover")
    listings = (reverse("home"), author.get_absolute_url())
    one_cover = {}
    for url in listings:
        with django_assert_max_num_queries(20) as one_cover[url]:
            assert srcset_of(client.get(url).content.decode(), "article-thumb")
    for _ in range(3):
        covered(photo_bytes((800, 400)), capture=django_capture_on_commit_callbacks, author=author)
    for url in listings:  # the commits retired the cached pages: rendered again, three new cards in them
        with django_assert_max_num_queries(len(one_cover[url].captured_queries)):
            assert client.get(url).content.decode().count("srcset=") == 4
