"""Writing, editing, deleting and previewing articles through the authors' pages."""

import datetime
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from articles.forms import STALE_MESSAGE, article_version
from articles.models import Article
from articles.services import publish_article
from authors.services import follow_author
from authors.tasks import notify_followers_of_publication
from comments.services import add_comment
from tests.conftest import assert_counters_exact
from tests.effects import run_deferred_jobs
from tests.factories import ArticleFactory, CategoryFactory, UserFactory, make_author
from tests.test_images import image_bytes, png_header

pytestmark = pytest.mark.django_db

DRAFT, SCHEDULED, PUBLISHED = Article.Status.DRAFT, Article.Status.SCHEDULED, Article.Status.PUBLISHED
WRITE_URL = reverse("article_write")


def edit_url(article: Article) -> str:
    return reverse("article_edit", kwargs={"slug": article.slug})


def delete_url(article: Article) -> str:
    return reverse("article_delete", kwargs={"slug": article.slug})


def as_input(moment: datetime.datetime) -> str:
    """A date the way the datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides) -> dict:
    data = {
        "title": "Notes on counting",
        "slug": "",
        "body": "Some **Markdown**.",
        "excerpt": "",
        "meta_description": "",
        "category": "",
        "status": DRAFT,
        "published_at": "",
    }
    return {**data, **overrides}


def edit_data(article: Article, **overrides) -> dict:
    """What the edit form sends back untouched: the article as stored, with the version it was opened on."""
    article = Article.objects.get(pk=article.pk)
    data = form_data(
        title=article.title,
        slug=article.slug,
        body=article.body,
        excerpt=article.excerpt,
        meta_description=article.meta_description,
        category=article.category_id or "",
        status=article.status,
        published_at=as_input(article.published_at) if article.published_at else "",
        version=article_version(article),
    )
    return {**data, **overrides}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def author_client(client, author):
    client.force_login(author.user)
    return client


@pytest.fixture
def article(author):
    return ArticleFactory(author=author, status=PUBLISHED, title="Counting things")


# --- who may do what ---------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_guest_is_sent_to_log_in(client, article, method):
    for url in (WRITE_URL, edit_url(article), delete_url(article), reverse("markdown_preview")):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")
    assert Article.objects.filter(pk=article.pk).exists()


def test_another_author_gets_403_and_changes_nothing(client, article):
    client.force_login(make_author().user)
    assert client.get(edit_url(article)).status_code == 403
    assert client.post(edit_url(article), edit_data(article, title="Hijacked")).status_code == 403
    assert client.get(delete_url(article)).status_code == 403
    assert client.post(delete_url(article)).status_code == 403
    article.refresh_from_db()
    assert article.title == "Counting things"


def test_the_owner_opens_edit_and_delete(author_client, article):
    response = author_client.get(edit_url(article))
    assert response.status_code == 200
    assert response.context["form"].initial["title"] == "Counting things"
    assert author_client.get(delete_url(article)).status_code == 200


def test_unknown_slug_is_404(author_client):
    assert author_client.get(reverse("article_edit", kwargs={"slug": "no-such-article"})).status_code == 404
    assert author_client.post(reverse("article_delete", kwargs={"slug": "no-such-article"})).status_code == 404


def test_staff_edit_anyones_article_which_stays_its_authors_but_delete_only_in_the_admin(client, article, author):
    client.force_login(UserFactory(is_staff=True))
    response = client.post(edit_url(article), edit_data(article, title="Typo fixed"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.author) == ("Typo fixed", author)
    assert client.post(delete_url(article)).status_code == 403


def test_a_user_without_an_author_profile_cannot_write(client):
    user = UserFactory()
    user.author.delete()
    client.force_login(user)
    assert client.get(WRITE_URL).status_code == 403


# --- writing -----------------------------------------------------------------


def test_saving_a_draft(author_client, author):
    response = author_client.post(WRITE_URL, form_data())
    article = Article.objects.get()
    assert response.status_code == 302
    assert response.url == article.get_absolute_url()
    assert messages_of(response) == ["Draft saved."]
    assert (article.status, article.slug, article.author, article.published_at) == (
        DRAFT,
        "notes-on-counting",
        author,
        None,
    )
    author.refresh_from_db()
    assert author.article_count == 0


def test_publishing_counts_and_notifies_followers_after_commit(
    author_client, author, reader, mailoutbox, django_capture_on_commit_callbacks
):
    follow_author(user=reader, author=author)
    category = CategoryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(WRITE_URL, form_data(status=PUBLISHED, category=category.pk))
    run_deferred_jobs(notify_followers_of_publication)
    assert messages_of(response) == ["Article published."]
    article = Article.objects.get()
    assert article.published_at is not None  # set by the receiver
    author.refresh_from_db()
    category.refresh_from_db()
    assert (author.article_count, category.article_count) == (1, 1)
    assert [message.to for message in mailoutbox] == [[reader.email]]
    assert_counters_exact()


def test_the_author_comes_from_the_session_never_from_the_form(author_client, author):
    someone_else = make_author()
    author_client.post(WRITE_URL, form_data(author=someone_else.pk, article_count=99))
    article = Article.objects.get()
    assert article.author == author
    author.refresh_from_db()
    assert author.article_count == 0


def test_scheduling_needs_a_future_date(author_client, author):
    when = timezone.now() + datetime.timedelta(days=3)
    response = author_client.post(WRITE_URL, form_data(status=SCHEDULED, published_at=as_input(when)))
    article = Article.objects.get()
    assert (article.status, as_input(article.published_at)) == (SCHEDULED, as_input(when))
    assert messages_of(response)[0].startswith("Article scheduled for ")
    author.refresh_from_db()
    assert author.article_count == 0


@pytest.mark.parametrize(
    ("published_at", "error"),
    [
        ("", "Choose when the article should be published."),
        (as_input(timezone.now() - datetime.timedelta(hours=1)), "A scheduled article needs a date in the future."),
        (as_input(timezone.now() + datetime.timedelta(days=6 * 365)), "Choose a date within the next five years."),
        ("next Tuesday", "Enter a valid date/time."),
        ("2025-13-45T99:99", "Enter a valid date/time."),
    ],
)
def test_a_bad_schedule_is_a_field_error_with_the_input_kept(author_client, published_at, error):
    response = author_client.post(WRITE_URL, form_data(status=SCHEDULED, published_at=published_at, title="Kept"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"published_at": [error]}
    assert 'value="Kept"' in response.content.decode()
    assert not Article.objects.exists()


def test_a_far_future_date_is_refused_for_any_status(author_client):
    far = as_input(timezone.now() + datetime.timedelta(days=6 * 365))
    response = author_client.post(WRITE_URL, form_data(status=DRAFT, published_at=far))
    assert "published_at" in response.context["form"].errors


def test_publishing_a_scheduled_article_early_dates_it_now(author_client, author):
    article = ArticleFactory(author=author, status=SCHEDULED, published_at=timezone.now() + datetime.timedelta(days=2))
    before = timezone.now()
    response = author_client.post(edit_url(article), edit_data(article, status=PUBLISHED))
    assert messages_of(response) == ["Article published."]
    article.refresh_from_db()
    author.refresh_from_db()
    assert article.status == PUBLISHED
    assert before <= article.published_at <= timezone.now()
    assert author.article_count == 1


def test_a_published_article_cannot_be_dated_in_the_future(author_client, article):
    later = as_input(timezone.now() + datetime.timedelta(days=2))
    response = author_client.post(edit_url(article), edit_data(article, published_at=later))
    assert list(response.context["form"].errors) == ["published_at"]


def test_nothing_sent_is_a_500(author_client, article):
    assert author_client.post(WRITE_URL, {}).status_code == 200
    assert author_client.post(edit_url(article), {}).status_code == 200
    response = author_client.post(WRITE_URL, form_data(status="bogus", category="999999", body="x" * 200_001))
    assert set(response.context["form"].errors) == {"status", "category", "body"}


# --- slugs -------------------------------------------------------------------


def test_a_given_slug_is_used_and_unicode_is_fine(author_client):
    author_client.post(WRITE_URL, form_data(slug="my-address"))
    author_client.post(WRITE_URL, form_data(slug="привет-мир"))
    assert set(Article.objects.values_list("slug", flat=True)) == {"my-address", "привет-мир"}


def test_a_taken_slug_is_a_field_error_not_a_500(author_client):
    ArticleFactory(slug="taken")
    response = author_client.post(WRITE_URL, form_data(slug="taken", title="Mine"))
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        "Another article already has this address. Choose another, or leave it empty."
    ]
    assert Article.objects.count() == 1


@pytest.mark.parametrize("slug", ["has spaces", "slash/in/it", "semi;colon", "x" * 201])
def test_an_invalid_slug_is_a_field_error(author_client, slug):
    response = author_client.post(WRITE_URL, form_data(slug=slug))
    assert list(response.context["form"].errors) == ["slug"]
    assert not Article.objects.exists()


def test_an_edit_keeps_its_own_slug_and_a_changed_slug_leaves_a_redirect(author_client, article, client):
    old_url = article.get_absolute_url()
    assert author_client.post(edit_url(article), edit_data(article, title="Retitled")).status_code == 302
    article.refresh_from_db()
    assert article.slug == "counting-things"  # a new title does not move the address
    author_client.post(edit_url(article), edit_data(article, slug="counting"))
    response = client.get(old_url)
    assert (response.status_code, response.url) == (301, "/articles/counting/")


# --- stale forms -------------------------------------------------------------


def test_a_form_opened_before_someone_elses_save_is_refused_with_the_input_kept(author_client, article):
    opened = edit_data(article, title="My new title", body="My careful rewrite.")
    someone = Article.objects.get(pk=article.pk)
    someone.title = "An editor's title"
    someone.save()

    response = author_client.post(edit_url(article), opened)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [STALE_MESSAGE]
    html = response.content.decode()
    assert "changed by someone else" in html
    assert 'value="My new title"' in html
    assert "My careful rewrite." in html
    article.refresh_from_db()
    assert article.title == "An editor's title"


def test_a_status_only_save_makes_the_form_stale_too(author_client, author):
    article = ArticleFactory(author=author, status=DRAFT)
    opened = edit_data(article)
    publish_article(Article.objects.get(pk=article.pk))  # update_fields=["status"]: updated_at stays
    response = author_client.post(edit_url(article), opened)  # would put it back to draft
    assert response.context["form"].non_field_errors() == [STALE_MESSAGE]
    article.refresh_from_db()
    assert article.status == PUBLISHED


@pytest.mark.parametrize("version", [None, "", "garbage", "2025-13-45T00:00:00+00:00|draft"])
def test_a_missing_or_mangled_version_is_refused_not_a_500(author_client, article, version):
    data = edit_data(article, title="Changed")
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    response = author_client.post(edit_url(article), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [STALE_MESSAGE]


def test_views_and_comments_since_opening_do_not_make_the_form_stale(author_client, article, reader):
    opened = edit_data(article, title="Still mine")
    Client().get(article.get_absolute_url())  # a guest's read: view_count + 1 by F()
    add_comment(article=article, body="Great!", user=reader)  # approved at once: comment_count + 1 by F()

    response = author_client.post(edit_url(article), opened)

    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.view_count, article.comment_count) == ("Still mine", 1, 1)
    assert_counters_exact()


def test_an_untouched_date_keeps_its_seconds(author_client, article):
    stored = Article.objects.get(pk=article.pk).published_at
    author_client.post(edit_url(article), edit_data(article, title="Retitled"))
    article.refresh_from_db()
    assert article.published_at == stored


# --- deleting ----------------------------------------------------------------


def test_delete_asks_first_then_deletes_and_the_counts_drop(author_client, author, article):
    author.refresh_from_db()
    assert author.article_count == 1

    response = author_client.get(delete_url(article))
    assert "Delete this article?" in response.content.decode()
    assert Article.objects.filter(pk=article.pk).exists()

    response = author_client.post(delete_url(article))
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert messages_of(response) == ["Article deleted."]
    assert not Article.objects.filter(pk=article.pk).exists()
    author.refresh_from_db()
    article.category.refresh_from_db()
    assert (author.article_count, article.category.article_count) == (0, 0)


# --- preview -----------------------------------------------------------------


def test_preview_renders_markdown_and_leaves_scripts_inert(author_client):
    body = "# Hello\n\n*there* <script>alert('x')</script>"
    response = author_client.post(reverse("markdown_preview"), {"body": body})
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Hello</h1>" in html
    assert "<em>there</em>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_preview_is_csrf_protected_and_post_only(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author.user)
    assert client.post(reverse("markdown_preview"), {"body": "hi"}).status_code == 403
    assert client.get(reverse("markdown_preview")).status_code == 405


def test_preview_without_javascript_shows_the_form_again_and_saves_nothing(author_client):
    response = author_client.post(WRITE_URL, form_data(body="Some *words*", preview="1"))
    assert response.status_code == 200
    assert "<em>words</em>" in response.content.decode()
    assert not Article.objects.exists()


def test_the_form_renders_with_bootstrap_and_the_editor_script(author_client):
    html = author_client.get(WRITE_URL).content.decode()
    assert 'class="textinput form-control' in html
    assert 'for="id_title" class="form-label requiredField"' in html
    assert "js/editor.js" in html


# --- cover images --------------------------------------------------------------


def test_a_cover_is_stored_resized(author_client):
    cover = SimpleUploadedFile("wide.png", image_bytes((3200, 800)), content_type="image/png")
    author_client.post(WRITE_URL, {**form_data(), "cover": cover})
    article = Article.objects.get()
    assert article.cover.name.startswith("covers/")
    with Image.open(article.cover.path) as stored:
        assert stored.size == (1600, 400)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"plain text pretending to be a PNG", "not one"),
        (image_bytes((400, 300))[:200], "damaged"),
        (png_header(100_000, 100_000), "too many pixels"),
        (b"\0" * (5 * 1024 * 1024 + 1), "the limit is 5.0"),
    ],
)
def test_a_bad_cover_is_an_error_next_to_the_field(author_client, content, message):
    cover = SimpleUploadedFile("cover.png", content, content_type="image/png")
    response = author_client.post(WRITE_URL, {**form_data(title="Kept"), "cover": cover})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["cover"]
    assert message in errors["cover"][0]
    assert not Article.objects.exists()


def test_a_replaced_cover_stays_on_disk_for_the_revision_that_shows_it(
    author_client, article, django_capture_on_commit_callbacks
):
    for name, image_format in (("a.png", "PNG"), ("b.gif", "GIF")):
        cover = SimpleUploadedFile(name, image_bytes(image_format=image_format))
        with django_capture_on_commit_callbacks(execute=True):
            response = author_client.post(edit_url(article), {**edit_data(article), "cover": cover})
        assert response.status_code == 302
        if image_format == "PNG":
            article.refresh_from_db()
            first = Path(article.cover.path)
            assert first.exists()
    article.refresh_from_db()
    assert article.cover.name.endswith(".gif")
    assert first.exists()  # an older revision names it: a restore brings it back (tests/articles/test_cover_files.py)
