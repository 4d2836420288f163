"""Moderation in the admin: what staff see, and that their actions keep counts exact."""

import datetime
import html
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from articles.forms import STALE_MESSAGE, article_version
from articles.models import Article, Category, Tag
from articles.services import publish_due_articles
from articles.tags import MAX_TAGS_PER_ARTICLE
from authors.models import Author
from comments.models import Comment
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, UserFactory, make_author
from tests.html_forms import forms_in
from tests.test_images import image_bytes, png_header

pytestmark = pytest.mark.django_db

ARTICLE_ADD_URL = reverse("admin:articles_article_add")
ARTICLE_CHANGELIST_URL = reverse("admin:articles_article_changelist")

# Uploads the site's forms refuse, and a word of what the field then says.
BAD_IMAGES = [
    pytest.param(b"plain text pretending to be a PNG", "not one", id="disguised"),
    pytest.param(image_bytes((400, 300))[:200], "damaged", id="truncated"),
    pytest.param(png_header(100_000, 100_000), "too many pixels", id="bomb"),
    pytest.param(b"\0" * (5 * 1024 * 1024 + 1), "the limit is 5.0", id="oversized"),
]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_index_and_comment_list_show_how_many_comments_await_moderation(staff_client):
    article = ArticleFactory(status="published")
    CommentFactory.create_batch(3, article=article, status=Comment.Status.PENDING)
    CommentFactory(article=article, status=Comment.Status.APPROVED)

    index = staff_client.get(reverse("admin:index")).content.decode()
    changelist = staff_client.get(reverse("admin:comments_comment_changelist")).content.decode()

    assert "3 comments await moderation." in index
    assert "Comments: 3 pending moderation" in changelist


def test_approving_in_the_admin_shows_the_comment_and_counts_it(staff_client, client):
    article = ArticleFactory(status="published")
    comment = CommentFactory(article=article, body="Worth reading", status=Comment.Status.PENDING)

    response = staff_client.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [comment.pk]},
        follow=True,
    )

    assert "1 comment(s) approved." in response.content.decode()
    article.refresh_from_db()
    assert article.comment_count == 1
    assert_counters_exact()
    [entry] = LogEntry.objects.filter(object_id=str(comment.pk), content_type__model="comment")
    assert entry.get_change_message() == "Approved by an admin action."


@pytest.mark.parametrize(
    ("action", "status", "count"),
    [("publish", "published", 1), ("unpublish", "draft", 0), ("archive", "archived", 0)],
)
def test_article_actions_go_through_save_and_keep_counts(staff_client, action, status, count):
    article = ArticleFactory(status="published" if action != "publish" else "draft")
    staff_client.post(
        reverse("admin:articles_article_changelist"), {"action": action, ACTION_CHECKBOX_NAME: [article.pk]}
    )
    article.refresh_from_db()
    article.author.refresh_from_db()
    assert (article.status, article.author.article_count) == (status, count)
    assert_counters_exact()
    # Django's "Recent actions" names it.
    [entry] = LogEntry.objects.filter(object_id=str(article.pk), content_type__model="article")
    assert entry.is_change() and entry.get_change_message().endswith("by an admin action.")


def test_article_admin_filters_by_status_and_shows_counters_read_only(staff_client):
    draft = ArticleFactory(title="Still a draft")
    ArticleFactory(title="Out there", status="published")

    listing = staff_client.get(reverse("admin:articles_article_changelist"), {"status__exact": "draft"})
    change = staff_client.get(reverse("admin:articles_article_change", args=[draft.pk]))

    assert [a.title for a in listing.context["cl"].result_list] == ["Still a draft"]
    form_fields = change.context["adminform"].form.fields
    assert "comment_count" not in form_fields and "view_count" not in form_fields
    assert "Comment count" in change.content.decode()


def test_an_admin_edit_of_an_article_changed_since_it_was_opened_is_refused_with_the_input_kept(staff_client):
    article = ArticleFactory(status="published", title="As opened")
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    form = staff_client.get(change_url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "cover"}
    data["version"] = form["version"].value()  # the hidden version the change page carries
    data.update(author=article.author.pk, category=article.category.pk, title="My edit")
    data["published_at_0"], data["published_at_1"] = article.published_at.strftime("%Y-%m-%d %H:%M:%S").split()
    someone_else = Article.objects.get(pk=article.pk)
    someone_else.title = "Their edit"
    someone_else.save()

    response = staff_client.post(change_url, data)

    assert response.status_code == 200
    assert STALE_MESSAGE in response.content.decode().replace("&#x27;", "'")
    assert response.context["adminform"].form["title"].value() == "My edit"
    assert Article.objects.get(pk=article.pk).title == "Their edit"


def test_the_admin_add_form_has_no_version(staff_client):
    assert staff_client.get(ARTICLE_ADD_URL).status_code == 200


def test_saving_a_stale_article_in_the_admin_never_writes_counters_back(staff_client):
    article = ArticleFactory(status="published")
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    form = staff_client.get(change_url).context["adminform"].form
    CommentFactory(article=article, status=Comment.Status.APPROVED)  # approved after the form was opened
    data = {name: value for name, value in form.initial.items() if value is not None and name != "cover"}
    data["version"] = form["version"].value()  # the hidden version the change page carries
    data.update(author=article.author.pk, category=article.category.pk, title="Edited in the admin")
    data["published_at_0"], data["published_at_1"] = article.published_at.strftime("%Y-%m-%d %H:%M:%S").split()

    response = staff_client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert (article.title, article.comment_count) == ("Edited in the admin", 1)
    assert Article.objects.get(pk=article.pk).comment_count == 1


# --- helpers -------------------------------------------------------------------


def field_errors(response, field: str) -> str:
    """The error text shown in ``field``'s row of an admin change form; empty when there is none."""
    row = re.search(
        rf'<div class="form-row errors field-{field}">\s*<ul class="errorlist"[^>]*>(.*?)</ul>',
        response.content.decode(),
        re.DOTALL,
    )
    return html.unescape(re.sub(r"<[^>]+>", " ", row.group(1))).strip() if row else ""


def listed_titles(response) -> set[str]:
    """The titles a moderator sees as rows of the article changelist."""
    assert response.status_code == 200
    rows = re.findall(r'<th class="field-title"><a href="[^"]*">([^<]*)</a></th>', response.content.decode())
    return {html.unescape(title) for title in rows}


def as_admin_input(moment: datetime.datetime) -> dict[str, str]:
    """A date the way the admin's split date and time inputs send it."""
    local = timezone.localtime(moment)
    return {"published_at_0": local.strftime("%Y-%m-%d"), "published_at_1": local.strftime("%H:%M:%S")}


def article_admin_data(**overrides) -> dict:
    """What the admin's add-article page sends for a new draft by a new author."""
    data = {
        "title": "Added in the admin",
        "slug": "",
        "author": make_author().pk,
        "category": CategoryFactory().pk,
        "excerpt": "",
        "body": "Some *Markdown*.",
        "status": Article.Status.DRAFT,
        "published_at_0": "",
        "published_at_1": "",
    }
    return {**data, **overrides}


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


# --- article covers ------------------------------------------------------------


def test_an_admin_cover_is_stored_resized_and_without_its_exif(staff_client):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # stands for the GPS position a phone would add
    content = image_bytes((3200, 800), "JPEG", exif=exif.tobytes())
    cover = SimpleUploadedFile("wide.jpg", content, content_type="image/jpeg")

    response = staff_client.post(ARTICLE_ADD_URL, {**article_admin_data(), "cover": cover})

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.cover.name.startswith("covers/")
    with Image.open(article.cover.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (1600, 400))
        assert not stored.getexif()


@pytest.mark.parametrize(("content", "message"), BAD_IMAGES)
def test_a_bad_admin_cover_is_an_error_next_to_the_field_and_nothing_is_saved(staff_client, settings, content, message):
    cover = SimpleUploadedFile("cover.png", content, content_type="image/png")

    response = staff_client.post(ARTICLE_ADD_URL, {**article_admin_data(title="Not saved"), "cover": cover})

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["cover"]
    assert message in field_errors(response, "cover")
    assert "Not saved" in response.content.decode()  # the input is kept
    assert not Article.objects.exists()
    assert stored_files(settings) == []


def test_clearing_an_admin_cover_removes_it_from_the_article_and_keeps_the_file_for_its_history(
    staff_client, django_capture_on_commit_callbacks
):
    staff_client.post(ARTICLE_ADD_URL, {**article_admin_data(), "cover": SimpleUploadedFile("a.png", image_bytes())})
    article = Article.objects.get()
    path = Path(article.cover.path)
    data = article_admin_data(
        title=article.title, slug=article.slug, author=article.author_id, category=article.category_id
    )
    data["version"] = article_version(article)

    change_url = reverse("admin:articles_article_change", args=[article.pk])
    assert 'name="cover-clear"' in staff_client.get(change_url).content.decode()  # the admin's usual checkbox

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(change_url, {**data, "cover-clear": "on"})

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.cover.name == ""
    assert path.exists()  # the revision before the clearing still shows it
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    assert not path.exists()  # nothing names it any more


# --- author avatars ------------------------------------------------------------


def avatar_admin_post(client, author: Author, avatar: SimpleUploadedFile, **overrides):
    data = {"user": author.user_id, "bio": author.bio, "avatar": avatar, **overrides}
    return client.post(reverse("admin:authors_author_change", args=[author.pk]), data)


def test_an_admin_avatar_is_stored_cropped(staff_client, author):
    avatar = SimpleUploadedFile("me.jpg", image_bytes((800, 600), "JPEG"), content_type="image/jpeg")

    response = avatar_admin_post(staff_client, author, avatar)

    assert response.status_code == 302
    author.refresh_from_db()
    assert author.avatar.name.startswith("avatars/")
    with Image.open(author.avatar.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (256, 256))


@pytest.mark.parametrize(("content", "message"), BAD_IMAGES)
def test_a_bad_admin_avatar_is_an_error_next_to_the_field_and_nothing_is_saved(
    staff_client, author, settings, content, message
):
    avatar = SimpleUploadedFile("me.png", content, content_type="image/png")

    response = avatar_admin_post(staff_client, author, avatar, bio="Not saved")

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["avatar"]
    assert message in field_errors(response, "avatar")
    author.refresh_from_db()
    assert (author.bio, author.avatar.name) == ("", "")
    assert stored_files(settings) == []


# --- publication dates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "message"),
    [
        pytest.param(None, "Choose when the article should be published.", id="no-date"),
        pytest.param(-datetime.timedelta(hours=1), "A scheduled article needs a date in the future.", id="past"),
        pytest.param(datetime.timedelta(days=6 * 365), "Choose a date within the next five years.", id="typo"),
    ],
)
def test_the_admin_refuses_a_schedule_publish_due_would_never_honour(staff_client, when, message):
    dates = as_admin_input(timezone.now() + when) if when else {}

    response = staff_client.post(ARTICLE_ADD_URL, article_admin_data(status=Article.Status.SCHEDULED, **dates))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["published_at"]
    assert field_errors(response, "published_at") == message
    assert not Article.objects.exists()


def test_a_published_article_cannot_be_given_a_future_date_in_the_admin(staff_client):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    data = article_admin_data(
        title=article.title,
        slug=article.slug,
        author=article.author_id,
        category=article.category_id,
        status=Article.Status.PUBLISHED,
        **as_admin_input(timezone.now() + datetime.timedelta(days=1)),
    )

    response = staff_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)

    assert response.status_code == 200
    assert "choose Scheduled" in field_errors(response, "published_at")


def test_an_article_scheduled_in_the_admin_is_counted_only_once_publish_due_runs(staff_client):
    when = (timezone.now() + datetime.timedelta(days=2)).replace(microsecond=0)
    data = article_admin_data(status=Article.Status.SCHEDULED, **as_admin_input(when))

    response = staff_client.post(ARTICLE_ADD_URL, data)

    assert response.status_code == 302
    article = Article.objects.select_related("author", "category").get()
    assert (article.status, article.published_at) == (Article.Status.SCHEDULED, when)
    assert (article.author.article_count, article.category.article_count) == (0, 0)
    assert_counters_exact()

    # The point of the date rules: publish_due finds it once its time comes.
    assert publish_due_articles(now=when) == [article]
    article.refresh_from_db()
    article.author.refresh_from_db()
    assert (article.status, article.author.article_count) == (Article.Status.PUBLISHED, 1)
    assert Category.objects.get(pk=article.category_id).article_count == 1
    assert_counters_exact()


# --- tags ----------------------------------------------------------------------


def test_staff_tag_an_article_in_the_admin_and_each_tag_counts_it(staff_client):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    kept, dropped, added = (Tag.objects.create(name=name, slug=name.lower()) for name in ("Kept", "Dropped", "Added"))
    article.tags.set([kept, dropped])
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    page = staff_client.get(change_url).content.decode()
    assert re.search(r'<select name="tags"[^>]*data-field-name="tags"[^>]*multiple>', page)
    found = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": "article", "field_name": "tags", "term": "add"},
    ).json()
    assert [result["text"] for result in found["results"]] == ["Added"]

    data = article_admin_data(
        title=article.title, slug=article.slug, author=article.author_id, category=article.category_id
    )
    data |= {"status": Article.Status.PUBLISHED, "tags": [kept.pk, added.pk], "version": article_version(article)}
    response = staff_client.post(change_url, data)

    assert response.status_code == 302
    assert set(article.tags.all()) == {kept, added}
    counts = dict(Tag.objects.values_list("name", "article_count"))
    assert counts == {"Kept": 1, "Dropped": 0, "Added": 1}
    assert_counters_exact()


def test_the_admin_refuses_more_tags_than_the_site_allows(staff_client):
    tags = [Tag.objects.create(name=f"Tag {n}", slug=f"tag-{n}") for n in range(MAX_TAGS_PER_ARTICLE + 1)]

    response = staff_client.post(ARTICLE_ADD_URL, article_admin_data(tags=[tag.pk for tag in tags]))

    assert response.status_code == 200
    assert field_errors(response, "tags") == f"At most {MAX_TAGS_PER_ARTICLE} tags per article."
    assert not Article.objects.exists()


# --- comment moderation --------------------------------------------------------


def test_rejecting_in_the_admin_saves_each_comment_and_uncounts_the_approved_ones(staff_client):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    approved = CommentFactory.create_batch(2, article=article, status=Comment.Status.APPROVED)
    pending = CommentFactory(article=article, status=Comment.Status.PENDING)
    kept = CommentFactory(article=article, status=Comment.Status.APPROVED)
    chosen = sorted(comment.pk for comment in [*approved, pending])
    saves = []

    def record_save(sender, instance, update_fields, **kwargs):
        saves.append((instance.pk, update_fields))

    post_save.connect(record_save, sender=Comment, dispatch_uid="test_admin.record_save")
    try:
        response = staff_client.post(
            reverse("admin:comments_comment_changelist"),
            {"action": "reject", ACTION_CHECKBOX_NAME: chosen},
            follow=True,
        )
    finally:
        post_save.disconnect(sender=Comment, dispatch_uid="test_admin.record_save")

    assert "3 comment(s) rejected." in response.content.decode()
    # One save per comment, in primary-key order, never a QuerySet.update().
    assert saves == [(pk, frozenset({"status"})) for pk in chosen]
    assert set(Comment.objects.filter(pk__in=chosen).values_list("status", flat=True)) == {"rejected"}
    kept.refresh_from_db()
    article.refresh_from_db()
    assert (kept.status, article.comment_count) == (Comment.Status.APPROVED, 1)
    assert_counters_exact()


# --- the article changelist ----------------------------------------------------


@pytest.fixture
def listed(author) -> dict:
    """Four articles across two categories, two authors and three statuses."""
    news, howto = CategoryFactory(name="News"), CategoryFactory(name="How-to")
    carol = make_author(username="carol", first_name="Carol")
    soon = timezone.now() + datetime.timedelta(days=1)
    ArticleFactory(title="Election night", status="published", category=news, author=author, excerpt="Live results")
    ArticleFactory(title="Budget leaks", category=news, author=carol)
    ArticleFactory(title="Baking bread", status="published", category=howto, author=carol, excerpt="Sourdough basics")
    ArticleFactory(title="Fixing a bike", status="scheduled", published_at=soon, category=howto, author=author)
    return {"news": news, "howto": howto, "alice": author, "carol": carol}


def test_the_changelist_shows_every_article_unfiltered(staff_client, listed):
    assert listed_titles(staff_client.get(ARTICLE_CHANGELIST_URL)) == {
        "Election night",
        "Budget leaks",
        "Baking bread",
        "Fixing a bike",
    }


@pytest.mark.parametrize(
    ("status", "titles"),
    [
        ("published", {"Election night", "Baking bread"}),
        ("draft", {"Budget leaks"}),
        ("scheduled", {"Fixing a bike"}),
        ("archived", set()),
    ],
)
def test_the_changelist_filters_by_status(staff_client, listed, status, titles):
    assert listed_titles(staff_client.get(ARTICLE_CHANGELIST_URL, {"status__exact": status})) == titles


def test_the_changelist_filters_by_category(staff_client, listed):
    response = staff_client.get(ARTICLE_CHANGELIST_URL, {"category__id__exact": listed["howto"].pk})
    assert listed_titles(response) == {"Baking bread", "Fixing a bike"}


def test_the_changelist_filters_by_author(staff_client, listed):
    response = staff_client.get(ARTICLE_CHANGELIST_URL, {"author__id__exact": listed["carol"].pk})
    assert listed_titles(response) == {"Budget leaks", "Baking bread"}


def test_the_changelist_combines_filters(staff_client, listed):
    query = {"author__id__exact": listed["alice"].pk, "status__exact": "published"}
    assert listed_titles(staff_client.get(ARTICLE_CHANGELIST_URL, query)) == {"Election night"}


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("bread", {"Baking bread"}),  # title
        ("fixing-a", {"Fixing a bike"}),  # slug
        ("SOURDOUGH", {"Baking bread"}),  # excerpt, any case
        ("night sourdough", set()),  # every word must match the same article
        ("live night", {"Election night"}),
        ("nothing like this", set()),
    ],
)
def test_the_changelist_searches_title_slug_and_excerpt(staff_client, listed, q, titles):
    assert listed_titles(staff_client.get(ARTICLE_CHANGELIST_URL, {"q": q})) == titles


def test_approving_comments_one_of_which_was_deleted_meanwhile_says_so(staff_client, monkeypatch):
    from comments import admin as comment_admin
    from comments.services import approve_comment

    article = ArticleFactory(status=Article.Status.PUBLISHED)
    doomed, survivor = CommentFactory.create_batch(2, article=article, status=Comment.Status.PENDING)

    def approve_after_another_moderator_deleted_one(comment):
        # The action's list was loaded; another moderator deletes one before it is saved.
        Comment.objects.filter(pk=doomed.pk).delete()
        return approve_comment(comment)

    monkeypatch.setattr(comment_admin, "approve_comment", approve_after_another_moderator_deleted_one)
    response = staff_client.post(
        reverse("admin:comments_comment_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [doomed.pk, survivor.pk]},
        follow=True,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 comment(s) approved." in html and "1 comment(s) had been deleted meanwhile." in html
    article.refresh_from_db()
    assert article.comment_count == 1
    assert_counters_exact()


# --- moving a comment to another article ----------------------------------------


def comment_change_data(staff_client, comment: Comment, **changes) -> dict:
    """What the comment's change form sends unchanged, with ``changes``."""
    page = staff_client.get(comment_change_url(comment)).content.decode()
    [form] = [form for form in forms_in(page) if form.id == "comment_form"]
    return {**dict(form.fields), **{name: str(value) for name, value in changes.items()}}


def comment_change_url(comment: Comment) -> str:
    return reverse("admin:comments_comment_change", args=[comment.pk])


@pytest.fixture
def thread(author):
    from comments.services import add_comment

    here = ArticleFactory(author=author, status="published", title="Where it was posted")
    there = ArticleFactory(author=author, status="published", title="Where it belongs")
    reader = UserFactory()
    first = add_comment(article=here, body="Posted under the wrong article.", user=reader)
    answer = add_comment(article=here, body="An answer to it.", user=UserFactory(), parent=first)
    # A guest's: pending.
    answer_to_answer = add_comment(
        article=here, body="And an answer to that.", name="Gus", email="gus@example.com", parent=answer
    )
    other = add_comment(article=here, body="A comment that stays.", user=reader)
    return SimpleNamespace(
        here=here, there=there, first=first, answer=answer, answer_to_answer=answer_to_answer, other=other
    )


def test_moving_a_comment_in_the_admin_moves_its_replies_with_it_and_each_article_counts_its_own(
    staff_client, client, thread
):
    here, there, first = thread.here, thread.there, thread.first
    data = comment_change_data(staff_client, first, article=there.pk)
    response = staff_client.post(comment_change_url(first), data, follow=True)

    assert "Its 2 replies moved with it." in response.content.decode()
    assert set(Comment.objects.filter(article=there).values_list("pk", flat=True)) == {
        first.pk, thread.answer.pk, thread.answer_to_answer.pk,
    }  # fmt: skip
    assert list(Comment.objects.filter(article=here)) == [thread.other]
    here.refresh_from_db()
    there.refresh_from_db()
    # The pending answer moved too, counted nowhere until approved.
    assert (here.comment_count, there.comment_count) == (1, 2)
    assert_counters_exact()
    page = client.get(there.get_absolute_url()).content.decode()
    assert "Posted under the wrong article." in page and "An answer to it." in page
    assert "in reply to a removed comment" not in page
    assert "An answer to it." not in client.get(here.get_absolute_url()).content.decode()


def test_the_admin_refuses_to_move_a_reply_away_from_the_comment_it_answers(staff_client, thread):
    answer = thread.answer
    data = comment_change_data(staff_client, answer, article=thread.there.pk)
    response = staff_client.post(comment_change_url(answer), data)

    assert response.status_code == 200
    assert "A reply moves with the comment it answers" in response.content.decode()
    assert Comment.objects.get(pk=answer.pk).article_id == thread.here.pk
    assert_counters_exact()


def test_the_admin_shows_a_threads_shape_and_takes_no_other(staff_client, thread):
    answer = thread.answer
    page = staff_client.get(comment_change_url(answer)).content.decode()
    assert 'name="parent"' not in page and 'name="depth"' not in page
    # A crafted post: answering one of its own replies, at the top of the thread.
    data = comment_change_data(staff_client, answer, parent=thread.answer_to_answer.pk, depth=0, body="Edited.")
    response = staff_client.post(comment_change_url(answer), data)

    assert response.status_code == 302
    stored = Comment.objects.get(pk=answer.pk)
    assert (stored.body, stored.parent_id, stored.depth) == ("Edited.", thread.first.pk, 1)
