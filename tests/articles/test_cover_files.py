"""Cover files stay while an article or a revision names them, then go after the commit (articles/cover_files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from articles.forms import article_version
from articles.models import Article
from tests.articles.test_history import restore_url, revisions
from tests.factories import ArticleFactory, make_author
from tests.test_images import image_bytes

pytestmark = pytest.mark.django_db


def with_new_cover(article: Article, name: str = "cover.png") -> Path:
    """Upload a cover onto ``article`` (a save: a revision) and return the file's path."""
    article.cover.save(name, ContentFile(image_bytes()), save=True)
    return Path(article.cover.path)


@pytest.fixture
def author_client(client, author):
    client.force_login(author.user)
    return client


def test_a_replaced_cover_is_kept_and_restoring_its_revision_brings_it_back(
    author_client, author, django_capture_on_commit_callbacks
):
    article = ArticleFactory(author=author, status="published")
    with django_capture_on_commit_callbacks(execute=True):
        first = with_new_cover(article, "first.png")
        second = with_new_cover(article, "second.png")
    assert first.exists() and second.exists()
    with_first = revisions(article)[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            restore_url(article, with_first), {"version": article_version(article)}, follow=True
        )
    page = response.content.decode()
    assert "Restored the text of" in page and "cover image of then" not in page
    article.refresh_from_db()
    assert Path(article.cover.path) == first
    assert first.exists() and second.exists()  # the revision before the restore shows the second


def test_a_cover_missing_on_disk_keeps_the_current_one_and_says_so(author_client, author):
    article = ArticleFactory(author=author)
    first = with_new_cover(article, "first.png")
    second = with_new_cover(article, "second.png")
    first.unlink()  # deleted by hand, or by django-cleanup before covers were kept
    response = author_client.post(
        restore_url(article, revisions(article)[1]), {"version": article_version(article)}, follow=True
    )
    assert "Its cover image of then is missing from the server: the cover stays as it was." in response.content.decode()
    article.refresh_from_db()
    assert Path(article.cover.path) == second


def test_deleting_an_article_deletes_all_its_covers_after_the_commit(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    paths = [with_new_cover(article, name) for name in ("one.png", "two.png", "three.png")]
    with django_capture_on_commit_callbacks() as callbacks:
        article.delete()
    assert all(path.exists() for path in paths)  # not before the commit
    for callback in callbacks:
        callback()
    assert not any(path.exists() for path in paths)


def test_a_deletion_rolled_back_deletes_no_cover(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    path, pk = with_new_cover(article), article.pk
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        article.delete()
        raise RuntimeError
    assert path.exists()
    assert Article.objects.get(pk=pk).cover.path == str(path)


def test_a_file_another_article_names_is_not_deleted(django_capture_on_commit_callbacks):
    article, other = ArticleFactory(), ArticleFactory()
    path = with_new_cover(article)
    other.cover = article.cover.name  # the same file, named by both
    other.save()
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        other.delete()
    assert not path.exists()


def test_a_replaced_cover_no_revision_names_is_deleted_after_the_commit(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    path = with_new_cover(article)
    # Written without a save: no revision names this file.
    unrecorded = path.rename(path.with_name("unrecorded.png"))
    Article.objects.filter(pk=article.pk).update(cover=str(Path(article.cover.name).with_name(unrecorded.name)))
    article.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        with_new_cover(article, "next.png")
    assert not unrecorded.exists() and Path(article.cover.path).exists()


def test_deleting_a_user_deletes_their_articles_covers_in_bounded_queries(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    def author_with_covered_articles(count: int) -> tuple:
        author = make_author()
        paths = []
        for _ in range(count):
            article = ArticleFactory(author=author)
            paths += [with_new_cover(article, "a.png"), with_new_cover(article, "b.png")]
        return author, paths

    few, few_paths = author_with_covered_articles(2)
    with django_assert_max_num_queries(80) as two, django_capture_on_commit_callbacks(execute=True):
        few.user.delete()
    many, many_paths = author_with_covered_articles(12)
    with django_assert_max_num_queries(len(two.captured_queries)), django_capture_on_commit_callbacks(execute=True):
        many.user.delete()
    assert not any(path.exists() for path in few_paths + many_paths)
