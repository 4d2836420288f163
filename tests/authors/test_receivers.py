"""Author profiles, welcome email, follows and the email to followers."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.serializers import deserialize, serialize

from articles.models import Article
from articles.services import publish_article
from authors.models import Author, Follow
from authors.services import follow_author, unfollow_author
from authors.tasks import notify_followers_of_publication
from blogsite.effects import queue_is_durable
from tests.effects import queued_jobs, run_deferred_jobs
from tests.factories import ArticleFactory, UserFactory, make_author

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_every_new_user_gets_one_author_profile():
    user = UserFactory()
    user.first_name = "Changed"
    user.save()
    assert Author.objects.filter(user=user).count() == 1


def test_a_raw_fixture_load_does_not_create_a_profile():
    user = UserFactory()
    user_id, data = user.pk, serialize("json", [user])
    user.delete()  # its profile goes with it
    for obj in deserialize("json", data):
        obj.save()  # what loaddata does: a raw save
    assert User.objects.filter(pk=user_id).exists()
    assert not Author.objects.filter(user_id=user_id).exists()


def test_a_new_user_is_welcomed_with_a_link_to_their_dashboard(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory(username="carol", email="carol@example.com")
    run_deferred_jobs()
    [welcome] = mailoutbox
    assert welcome.to == ["carol@example.com"]
    assert "http://127.0.0.1:8000/dashboard/" in welcome.body
    assert "/dashboard/" in welcome.alternatives[0][0]


def test_createsuperuser_is_welcomed_too(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("createsuperuser", username="root", email="root@example.com", interactive=False, verbosity=0)
    run_deferred_jobs()
    assert [m.to for m in mailoutbox] == [["root@example.com"]]
    assert User.objects.get(username="root").author.article_count == 0


def test_a_user_without_an_email_gets_no_welcome(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory(email="")
    assert run_deferred_jobs() == [] and mailoutbox == []


def test_a_failing_email_backend_keeps_the_new_user(settings, caplog, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        user = UserFactory()
    run_deferred_jobs()
    assert User.objects.filter(pk=user.pk).exists() and Author.objects.filter(user=user).exists()
    assert "SMTP server refused" in caplog.text
    # With a queue, the email waits there for the mail server to come back.
    assert queued_jobs() == (["authors.tasks.send_welcome_email"] if queue_is_durable() else [])


def test_nobody_follows_themselves_and_a_follow_is_unique(author, reader):
    with pytest.raises(ValidationError):
        follow_author(user=author.user, author=author)
    follow_author(user=reader, author=author)
    follow_author(user=reader, author=author)
    assert Follow.objects.filter(author=author).count() == 1
    unfollow_author(user=reader, author=author)
    assert not Follow.objects.exists()


def test_publishing_emails_each_follower_their_own_message_over_one_connection(
    author, monkeypatch, django_capture_on_commit_callbacks
):
    followers = [UserFactory(email=f"fan{i}@example.com") for i in range(3)]
    UserFactory(email="stranger@example.com")  # does not follow: gets nothing
    silent = UserFactory(email="")
    for user in [*followers, silent]:
        follow_author(user=user, author=author)

    opened = []
    original_open = mail.get_connection().__class__.open

    def counting_open(self):
        opened.append(self)
        return original_open(self)

    monkeypatch.setattr(mail.get_connection().__class__, "open", counting_open)
    article = ArticleFactory(author=author, title="News", status=Article.Status.DRAFT)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        publish_article(article)
    run_deferred_jobs(notify_followers_of_publication)

    assert sorted(m.to[0] for m in mail.outbox) == [f"fan{i}@example.com" for i in range(3)]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    assert all("News" in m.subject and article.get_absolute_url() in m.body for m in mail.outbox)
    assert len(opened) == 1


def test_followers_hear_of_an_article_once_ever(author, reader, mailoutbox, django_capture_on_commit_callbacks):
    follow_author(user=reader, author=author)
    article = ArticleFactory(author=author)
    with django_capture_on_commit_callbacks(execute=True):
        publish_article(article)
        article.title = "Edited after publication"
        article.save()
        publish_article(article)
    run_deferred_jobs(notify_followers_of_publication)
    with django_capture_on_commit_callbacks(execute=True):
        article.status = Article.Status.ARCHIVED
        article.save()
        publish_article(article)  # published again: nothing new to tell
    run_deferred_jobs(notify_followers_of_publication)
    assert len(mailoutbox) == 1


def test_a_failing_email_backend_never_unpublishes(
    author, reader, settings, caplog, django_capture_on_commit_callbacks
):
    follow_author(user=reader, author=author)
    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    article = ArticleFactory(author=author)
    with django_capture_on_commit_callbacks(execute=True):
        publish_article(article)
    run_deferred_jobs(notify_followers_of_publication)
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED
    assert Author.objects.get(pk=author.pk).article_count == 1
    assert "SMTP server refused" in caplog.text
    if queue_is_durable():
        assert queued_jobs(notify_followers_of_publication) == ["authors.tasks.notify_followers_of_publication"]


def test_deleting_an_author_with_followers_and_articles(reader):
    author = make_author()
    follow_author(user=reader, author=author)
    ArticleFactory.create_batch(2, author=author, status=Article.Status.PUBLISHED)
    author.user.delete()
    assert not Follow.objects.exists() and not Article.objects.exists()
