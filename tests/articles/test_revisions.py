"""Every change of an article's content is a revision, whichever path saved it (articles/revision_records.py)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from articles.models import Article, ArticleRevision
from articles.revision_records import CONTENT_FIELDS, NOT_KEPT_FIELDS
from articles.services import publish_article, publish_due_articles, set_article_status
from blogsite.write_source import Source, writing_from
from comments.services import add_comment
from tests.articles.test_editing import edit_data, edit_url
from tests.factories import ArticleFactory, CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def revisions_of(article: Article) -> list[ArticleRevision]:
    return list(ArticleRevision.objects.filter(id=article.pk).order_by("history_id"))


def test_a_revision_keeps_the_content_and_nothing_else():
    tracked = {field.attname for field in ArticleRevision.tracked_fields}
    content = {Article._meta.get_field(name).attname for name in CONTENT_FIELDS}
    assert tracked == {"id", *content}
    # Every field of Article is either kept or named as left out: a new one needs a decision.
    every_field = {field.name for field in Article._meta.concrete_fields}
    assert every_field == {"id", *CONTENT_FIELDS, *NOT_KEPT_FIELDS}


def test_an_article_made_in_a_shell_has_its_first_revision_from_the_shell():
    article = ArticleFactory(title="First words", body="Hello.")
    [revision] = revisions_of(article)
    assert (revision.title, revision.body, revision.history_type) == ("First words", "Hello.", "+")
    assert revision.source == Source.SHELL and revision.history_user is None


def test_an_edit_in_the_site_form_is_a_revision_by_its_author_from_the_site(client, author):
    article = ArticleFactory(author=author, status="published", title="Counting things", body="One.")
    client.force_login(author.user)
    response = client.post(edit_url(article), edit_data(article, body="One, two."))
    assert response.status_code == 302
    first, second = revisions_of(article)
    assert (first.body, second.body) == ("One.", "One, two.")
    assert second.source == Source.SITE and second.history_user == author.user


def test_an_edit_in_the_admin_is_a_revision_by_the_staff_member_from_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    article = ArticleFactory(status="published")
    change_url = reverse("admin:articles_article_change", args=[article.pk])
    client.force_login(staff)
    form = client.get(change_url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "cover"}
    data["version"] = form["version"].value()
    data.update(author=article.author.pk, category=article.category.pk, title="Retitled by an editor")
    data["published_at_0"], data["published_at_1"] = article.published_at.strftime("%Y-%m-%d %H:%M:%S").split()
    assert client.post(change_url, data).status_code == 302
    latest = revisions_of(article)[-1]
    assert (latest.title, latest.source, latest.history_user) == ("Retitled by an editor", Source.ADMIN, staff)


def test_a_save_that_changes_no_content_keeps_no_revision(client, author, reader):
    article = ArticleFactory(author=author)
    publish_article(article)  # a status move: the audit log's, not a revision
    set_article_status(article, Article.Status.ARCHIVED)
    article.save()  # nothing changed at all
    add_comment(article=article, user=reader, body="A comment moves a counter, not the text.")
    client.force_login(author.user)
    client.post(edit_url(article), edit_data(article))  # the form sent back untouched
    assert len(revisions_of(article)) == 1


def test_a_body_sent_back_with_crlf_line_ends_is_the_same_body(client, author):
    # Browsers end a textarea's lines with CRLF: the stored body keeps LF, and no revision is made.
    article = ArticleFactory(author=author, body="One line.\nAnother line.")
    client.force_login(author.user)
    client.post(edit_url(article), edit_data(article, body="One line.\r\nAnother line."))
    article.refresh_from_db()
    assert article.body == "One line.\nAnother line." and len(revisions_of(article)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Another title"},
        {"slug": "another-address"},
        {"excerpt": "A new excerpt."},
        {"body": "A new body."},
        {"cover": "covers/2026/12/new.png"},
        {"category": "new"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_each_content_field_on_its_own_makes_a_revision(change):
    article = ArticleFactory()
    if change.get("category") == "new":
        change = {"category": CategoryFactory()}
    for name, value in change.items():
        setattr(article, name, value)
    article.save()
    assert len(revisions_of(article)) == 2


def test_a_save_naming_only_other_fields_keeps_no_revision_even_with_changed_attributes():
    article = ArticleFactory(title="Kept")
    article.title = "Not saved"  # update_fields leaves it out: the row keeps "Kept"
    article.status = Article.Status.PUBLISHED
    article.save(update_fields=["status"])
    assert [revision.title for revision in revisions_of(article)] == ["Kept"]


def test_the_scheduler_and_commands_are_named_as_the_source():
    article = ArticleFactory(status="scheduled")
    Article.objects.filter(pk=article.pk).update(published_at="2000-01-01T00:00:00Z")
    publish_due_articles()  # a status move: no revision
    with writing_from(Source.SCHEDULER):
        article.refresh_from_db()
        article.title = "Retitled by a scheduled job"
        article.save()
    assert [revision.source for revision in revisions_of(article)] == [Source.SHELL, Source.SCHEDULER]


def test_a_bulk_create_keeps_each_articles_first_revision():
    author = ArticleFactory().author
    created = Article.objects.bulk_create(
        [Article(author=author, title=f"Bulk {n}", slug=f"bulk-{n}", body="b") for n in range(3)]
    )
    for article in created:
        [revision] = revisions_of(article)
        assert (revision.title, revision.source) == (article.title, Source.SHELL)


def test_a_save_rolled_back_leaves_no_revision():
    article = ArticleFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        article.title = "Never committed"
        article.save()
        raise RuntimeError
    assert len(revisions_of(article)) == 1


def test_deleting_an_article_deletes_its_revisions():
    article = ArticleFactory()
    article.title = "Second"
    article.save()
    pk = article.pk
    article.delete()
    assert not ArticleRevision.objects.filter(id=pk).exists()


def test_a_stale_copy_saving_one_field_keeps_a_revision_of_the_row_as_stored():
    # The copy was loaded before another writer moved the article; it saves
    # its title only, so the row keeps the move, and so must the revision.
    article = ArticleFactory(title="Before")
    stale = Article.objects.get(pk=article.pk)
    moved = Article.objects.get(pk=article.pk)
    moved.category = CategoryFactory(name="Elsewhere")
    moved.body = "Rewritten meanwhile."
    moved.save()

    stale.title = "After"
    stale.save(update_fields=["title"])

    stored = Article.objects.get(pk=article.pk)
    latest = revisions_of(article)[-1]
    assert (latest.title, latest.category_id, latest.body) == ("After", moved.category_id, "Rewritten meanwhile.")
    assert (stored.title, stored.category_id, stored.body) == ("After", moved.category_id, "Rewritten meanwhile.")
