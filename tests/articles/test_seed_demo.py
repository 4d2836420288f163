"""manage.py seed_demo: a living demo site, created once, with every counter exact."""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from articles.cover_renditions import renditions_of
from articles.demo.content import ADMIN, ARTICLES, AUTHORS, CATEGORIES, FOLLOWS
from articles.demo.seed import DEMO_PASSWORD
from articles.models import Article, Category
from authors.models import Author, Follow
from comments.models import Comment
from tests.conftest import assert_counters_exact
from tests.effects import queued_jobs, run_deferred_jobs
from tests.factories import ArticleFactory, UserFactory

Status = Article.Status


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows in every table of the project, Django's own included."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def seeds_with_status(status: Article.Status) -> list[str]:
    return [article.slug for article in ARTICLES if article.status == status]


# --- the content itself (no database) -----------------------------------------


def test_content_keys_are_unique_and_refer_to_what_exists():
    usernames = {person.username for person in (*AUTHORS, ADMIN)}
    category_names = {category.name for category in CATEGORIES}
    slugs = [article.slug for article in ARTICLES]
    assert len(slugs) == len(set(slugs))
    assert len(category_names) == len(CATEGORIES)
    for article in ARTICLES:
        assert article.author in usernames
        assert article.category is None or article.category in category_names
        assert all(comment.username in usernames for comment in article.comments if comment.username)
    assert all(follower in usernames and author in usernames for follower, author in FOLLOWS)
    assert all(follower != author for follower, author in FOLLOWS)


def test_content_dates_match_statuses():
    for article in ARTICLES:
        if article.status == Status.DRAFT:
            assert article.days_from_now is None, article.slug
        elif article.status == Status.SCHEDULED:
            assert article.days_from_now is not None and article.days_from_now > 0, article.slug
        else:
            assert article.days_from_now is not None and article.days_from_now < 0, article.slug
        if article.status in (Status.DRAFT, Status.SCHEDULED):
            # Nobody can read, view or comment on an article that is not out yet.
            assert (article.views, article.comments) == (0, ()), article.slug


def test_welcome_article_names_the_demo_password():
    welcome = next(article for article in ARTICLES if article.slug == "welcome-to-blogsite")
    assert DEMO_PASSWORD in welcome.body


# --- one run -------------------------------------------------------------------


@pytest.mark.django_db
def test_creates_authors_who_can_sign_in():
    seed()
    for person in AUTHORS:
        author = Author.objects.select_related("user").get(user__username=person.username)
        assert author.user.get_full_name() == f"{person.first_name} {person.last_name}"
        assert author.user.email == person.email
        assert author.bio == person.bio
        assert author.user.check_password(DEMO_PASSWORD)
    admin = get_user_model().objects.get(username=ADMIN.username)
    assert admin.is_staff and admin.is_superuser


@pytest.mark.django_db
def test_creates_categories_articles_in_every_state_comments_and_follows():
    seed()
    assert set(Category.objects.values_list("name", flat=True)) == {category.name for category in CATEGORIES}
    assert all(Category.objects.values_list("description", flat=True))
    statuses = set(Article.objects.values_list("status", flat=True))
    assert statuses == set(Status)
    assert set(Comment.objects.values_list("status", flat=True)) == set(Comment.Status)
    assert Follow.objects.count() == len(FOLLOWS)
    assert Article.objects.count() == len(ARTICLES) >= 20


@pytest.mark.django_db
def test_every_article_gets_a_generated_cover_image():
    seed()
    for article in Article.objects.all():
        with Image.open(article.cover.path) as cover:
            assert (cover.format, cover.size) == ("JPEG", (1200, 630))


@pytest.mark.django_db
def test_every_cover_has_its_renditions_once_the_seed_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    for article in Article.objects.all():
        assert [rendition.width for rendition in renditions_of(article.cover.name).srcset] == [480, 960, 1200]


@pytest.mark.django_db
def test_counters_are_exact_and_count_what_was_seeded():
    seed()
    assert_counters_exact()
    for person in AUTHORS:
        published = [a for a in ARTICLES if a.author == person.username and a.status == Status.PUBLISHED]
        assert Author.objects.get(user__username=person.username).article_count == len(published)
    # Counted only through the receivers, yet clearly not all zero.
    assert sum(Article.objects.values_list("comment_count", flat=True)) > 0
    assert Article.objects.filter(view_count__gt=0).count() > 0


@pytest.mark.django_db
def test_published_articles_are_in_the_past_and_scheduled_ones_in_the_future():
    seed()
    now = timezone.now()
    past = Article.objects.filter(status__in=[Status.PUBLISHED, Status.ARCHIVED])
    assert past.exists() and all(article.published_at < now for article in past)
    scheduled = Article.objects.filter(status=Status.SCHEDULED)
    assert scheduled.exists() and all(article.published_at > now for article in scheduled)
    assert not Article.objects.filter(status=Status.DRAFT, published_at__isnull=False).exists()
    # Spread over months, not all on the day the command ran.
    published_dates = sorted(past.values_list("published_at", flat=True))
    assert published_dates[-1] - published_dates[0] > datetime.timedelta(days=90)


@pytest.mark.django_db
def test_home_page_shows_the_newest_published_articles_only(client):
    seed()
    response = client.get("/")
    assert response.status_code == 200
    content = response.content.decode()
    newest = Article.objects.published().order_by("-published_at")[:10]
    assert len(newest) == 10
    for article in newest:
        assert escape(article.title) in content
    for article in Article.objects.exclude(status=Status.PUBLISHED):
        assert escape(article.title) not in content


@pytest.mark.django_db
def test_prints_a_summary_and_logins_that_work(client):
    output = seed()
    assert f"{len(ARTICLES)} articles" in output
    for person in AUTHORS:
        assert re.search(rf"^\s+{person.username}\s+{DEMO_PASSWORD}$", output, re.MULTILINE)
    admin_password = re.search(rf"^\s+{ADMIN.username}\s+(\S+)\s+staff:", output, re.MULTILINE).group(1)
    # Through the login form: a login is judged with its request (django-axes counts failures per IP).
    login = client.post("/accounts/login/", {"username": ADMIN.username, "password": admin_password})
    assert login.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- twice, and over existing data -------------------------------------------------


@pytest.mark.django_db
def test_second_run_adds_nothing_and_keeps_counters_exact():
    seed()
    before = row_counts()
    counters_before = list(Article.objects.order_by("pk").values_list("pk", "comment_count", "view_count"))
    output = seed()
    assert row_counts() == before
    assert list(Article.objects.order_by("pk").values_list("pk", "comment_count", "view_count")) == counters_before
    assert_counters_exact()
    assert "nothing to add" in output
    assert DEMO_PASSWORD not in output  # existing accounts: their passwords are not re-announced


@pytest.mark.django_db
def test_existing_users_and_articles_are_left_alone():
    UserFactory(username="maya", first_name="Not Maya", password="her-own-password")
    taken = ArticleFactory(slug="rss-is-not-dead", title="Someone else's RSS article", status=Status.PUBLISHED)
    seed()
    maya = get_user_model().objects.get(username="maya")
    assert maya.first_name == "Not Maya"
    assert maya.check_password("her-own-password")
    taken.refresh_from_db()
    assert taken.title == "Someone else's RSS article"
    assert not taken.comments.exists()  # the demo's comments belong to the demo's article
    # Maya's demo articles are still written, under her existing account.
    assert Article.objects.filter(author=maya.author).count() == sum(a.author == "maya" for a in ARTICLES)
    assert_counters_exact()


# --- email ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_seeding_sends_no_email_by_default():
    # A real commit (transaction=True), so the after-commit email tasks would run.
    seed()
    assert queued_jobs() == [] and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_send_emails_option_lets_them_through():
    call_command("seed_demo", "--send-emails", stdout=StringIO())
    run_deferred_jobs()
    recipients = {address for message in mail.outbox for address in message.to}
    assert {person.email for person in (*AUTHORS, ADMIN)} <= recipients  # welcome emails at least
