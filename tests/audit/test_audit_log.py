"""The audit log: every status move, moderation and delete, with who, from where and when."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleRevision
from articles.services import publish_article, publish_due_articles, set_article_status
from audit.models import AuditEntry
from authors.services import follow_author
from comments.models import Comment
from comments.services import approve_comment
from tests.articles.test_editing import edit_data, edit_url
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, UserFactory, make_author

pytestmark = pytest.mark.django_db

DRAFT, SCHEDULED, PUBLISHED, ARCHIVED = (
    Article.Status.DRAFT,
    Article.Status.SCHEDULED,
    Article.Status.PUBLISHED,
    Article.Status.ARCHIVED,
)
Action = AuditEntry.Action


def moves(**filters) -> list[tuple[str, str, str]]:
    return list(AuditEntry.objects.filter(**filters).order_by("pk").values_list("action", "before", "after"))


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="editor", is_staff=True, is_superuser=True))
    return client


def test_publishing_from_the_site_form_records_who_from_where_and_the_move(client, author):
    article = ArticleFactory(author=author, status=DRAFT, title="Counting things")
    client.force_login(author.user)

    response = client.post(edit_url(article), edit_data(article, status=PUBLISHED))

    assert response.status_code == 302
    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.before, entry.after) == (Action.PUBLISH, DRAFT, PUBLISHED)
    assert (entry.actor, entry.actor_name, entry.source) == (author.user, "alice", "site")
    assert entry.path == edit_url(article)
    assert (entry.article, entry.subject) == (article, "“Counting things”")
    assert timezone.now() - entry.at < datetime.timedelta(minutes=1)


def test_an_edit_of_the_text_and_an_unchanged_save_record_nothing(client, author):
    article = ArticleFactory(author=author, status=PUBLISHED)
    AuditEntry.objects.all().delete()
    client.force_login(author.user)

    client.post(edit_url(article), edit_data(article, title="A better title"))
    Article.objects.get(pk=article.pk).save()

    assert not AuditEntry.objects.exists()
    assert ArticleRevision.objects.filter(id=article.pk, title="A better title").exists()


@pytest.mark.parametrize(
    ("action", "before", "after", "recorded"),
    [
        ("publish", DRAFT, PUBLISHED, Action.PUBLISH),
        ("unpublish", PUBLISHED, DRAFT, Action.UNPUBLISH),
        ("archive", PUBLISHED, ARCHIVED, Action.ARCHIVE),
    ],
)
def test_admin_actions_are_recorded_as_the_admins(staff_client, action, before, after, recorded):
    article = ArticleFactory(status=before)
    AuditEntry.objects.all().delete()

    staff_client.post(
        reverse("admin:articles_article_changelist"), {"action": action, ACTION_CHECKBOX_NAME: [article.pk]}
    )

    [entry] = AuditEntry.objects.all()
    assert (entry.action, entry.before, entry.after) == (recorded, before, after)
    assert (entry.actor_name, entry.source, entry.path) == ("editor", "admin", "/admin/articles/article/")


def test_a_schedule_names_its_time_and_the_scheduler_publishes_as_itself(author):
    article = ArticleFactory(author=author, status=DRAFT)
    when = timezone.now() - datetime.timedelta(minutes=5)
    set_article_status(article, SCHEDULED, published_at=when)
    scheduled_back = ArticleFactory(author=author, status=SCHEDULED, published_at=when + datetime.timedelta(days=9))
    set_article_status(scheduled_back, DRAFT)

    publish_due_articles()

    assert moves(article=article) == [(Action.SCHEDULE, DRAFT, SCHEDULED), (Action.PUBLISH, SCHEDULED, PUBLISHED)]
    schedule, publication = AuditEntry.objects.filter(article=article).order_by("pk")
    assert schedule.detail.startswith(f"for {when:%Y-%m-%d %H:%M}")
    # A shell or a command has no user: its command line is where it came from.
    assert (schedule.source, schedule.actor) == ("shell", None)
    assert (publication.source, publication.actor, publication.path) == ("scheduler", None, "")
    # Created scheduled, then moved back: not an unpublication, it never was published.
    assert moves(article=scheduled_back) == [(Action.SCHEDULE, "", SCHEDULED), (Action.DRAFT, SCHEDULED, DRAFT)]


def test_a_stale_copy_publishing_again_records_nothing_more(author):
    article = ArticleFactory(author=author, status=DRAFT)
    first, stale = Article.objects.get(pk=article.pk), Article.objects.get(pk=article.pk)

    publish_article(first)
    publish_article(stale)  # it still says draft; the row it locks says published

    assert moves(article=article) == [(Action.PUBLISH, DRAFT, PUBLISHED)]


def test_a_change_rolled_back_leaves_no_entry(author):
    article = ArticleFactory(author=author, status=DRAFT)

    with pytest.raises(RuntimeError), transaction.atomic():
        publish_article(Article.objects.get(pk=article.pk))
        raise RuntimeError("the request failed after the save")

    assert not AuditEntry.objects.exists()


def test_deleting_an_article_from_the_site_keeps_its_entry_with_its_title(client, author):
    article = ArticleFactory(author=author, status=PUBLISHED, title="Gone tomorrow")
    client.force_login(author.user)

    client.post(reverse("article_delete", kwargs={"slug": article.slug}))

    assert not Article.objects.exists()
    publication, deletion = AuditEntry.objects.order_by("pk")
    assert publication.article is None  # its link emptied with the row, its words kept
    assert (deletion.action, deletion.before, deletion.after) == (Action.DELETE, PUBLISHED, "")
    assert (deletion.subject, deletion.actor, deletion.source) == ("“Gone tomorrow”", author.user, "site")


def test_an_account_deleted_with_its_articles_records_each_in_one_statement():
    author = make_author(username="leaving")
    ArticleFactory.create_batch(4, author=author, status=PUBLISHED)
    ArticleFactory(author=author, status=DRAFT)
    other = ArticleFactory(status=PUBLISHED)
    follow_author(user=author.user, author=other.author)

    with CaptureQueriesContext(connection) as queries:
        author.user.delete()

    assert sorted(moves(action=Action.DELETE)) == [(Action.DELETE, DRAFT, "")] + [(Action.DELETE, PUBLISHED, "")] * 4
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditentry"')]
    assert len(inserts) == 1
    # Their follow went with the account: that is not an unfollow.
    assert not AuditEntry.objects.filter(action=Action.UNFOLLOW).exists()


def test_moderation_in_the_admin_records_each_comment_with_its_article(staff_client):
    article = ArticleFactory(status=PUBLISHED)
    spam, good = CommentFactory.create_batch(2, article=article, status=Comment.Status.PENDING)

    for action, comment in (("reject", spam), ("approve", good)):
        staff_client.post(
            reverse("admin:comments_comment_changelist"), {"action": action, ACTION_CHECKBOX_NAME: [comment.pk]}
        )

    entries = AuditEntry.objects.exclude(comment_number=None).order_by("pk")
    assert [(e.action, e.comment_number, e.article_id, e.before, e.after) for e in entries] == [
        (Action.REJECT_COMMENT, spam.pk, article.pk, "pending", "rejected"),
        (Action.APPROVE_COMMENT, good.pk, article.pk, "pending", "approved"),
    ]
    assert entries[0].subject == f"comment #{spam.pk} by {spam.name}"
    assert {e.actor_name for e in entries} == {"editor"}


def test_two_moderators_approving_one_comment_from_stale_lists_leave_one_entry():
    comment = CommentFactory(status=Comment.Status.PENDING)
    first, second = Comment.objects.get(pk=comment.pk), Comment.objects.get(pk=comment.pk)

    approve_comment(first)
    approve_comment(second)  # its list said pending; the locked row says approved

    assert moves(comment_number=comment.pk) == [(Action.APPROVE_COMMENT, "pending", "approved")]


def test_a_comment_deleted_alone_is_recorded_one_deleted_with_its_article_is_not():
    article = ArticleFactory(status=PUBLISHED)
    alone, with_article = CommentFactory.create_batch(2, article=article, status=Comment.Status.APPROVED)

    Comment.objects.get(pk=alone.pk).delete()
    Article.objects.get(pk=article.pk).delete()

    assert moves(comment_number=alone.pk) == [(Action.DELETE_COMMENT, "approved", "")]
    assert not AuditEntry.objects.filter(comment_number=with_article.pk).exists()
    assert moves(action=Action.DELETE) == [(Action.DELETE, PUBLISHED, "")]


def test_follows_and_unfollows_from_the_site_are_recorded(client):
    reader, writer = UserFactory(username="reader"), make_author(username="writer")
    client.force_login(reader)

    client.post(reverse("author_follow", kwargs={"username": "writer"}))
    client.post(reverse("author_unfollow", kwargs={"username": "writer"}))

    entries = AuditEntry.objects.order_by("pk")
    assert [(e.action, e.actor_name, e.path) for e in entries] == [
        (Action.FOLLOW, "reader", "/authors/writer/follow/"),
        (Action.UNFOLLOW, "reader", "/authors/writer/unfollow/"),
    ]
    assert entries[0].subject == f"user #{reader.pk} following author #{writer.pk}"


def test_deleting_a_category_is_recorded_and_its_articles_keep_a_revision_without_it(staff_client):
    category = CategoryFactory(name="Gardening")
    article = ArticleFactory(category=category, status=PUBLISHED)

    staff_client.post(reverse("admin:articles_category_delete", args=[category.pk]), {"post": "yes"})

    assert moves(action=Action.DELETE_CATEGORY) == [(Action.DELETE_CATEGORY, "", "")]
    assert AuditEntry.objects.get(action=Action.DELETE_CATEGORY).subject == "category “Gardening”"
    latest = ArticleRevision.objects.filter(id=article.pk).latest("history_id")
    assert (latest.category_id, latest.source, latest.history_user.username) == (None, "admin", "editor")


def test_approving_from_the_service_in_a_shell_has_no_actor_but_the_command_line():
    comment = CommentFactory(status=Comment.Status.PENDING)

    approve_comment(comment)

    entry = AuditEntry.objects.get(comment_number=comment.pk)
    assert (entry.actor, entry.actor_name, entry.source) == (None, "", "shell")
    assert entry.path  # "pytest …" here, "manage.py shell" in a shell


# --- reading it ----------------------------------------------------------------


def listed_subjects(response) -> list[str]:
    return [entry.subject for entry in response.context["cl"].result_list]


def test_staff_filter_the_log_by_actor_action_and_article(staff_client, client):
    ours, theirs = ArticleFactory(title="Ours"), ArticleFactory(title="Theirs")
    publish_article(ours)  # from a shell: no actor
    staff_client.post(
        reverse("admin:articles_article_changelist"), {"action": "publish", ACTION_CHECKBOX_NAME: [theirs.pk]}
    )
    editor = AuditEntry.objects.get(article=theirs).actor
    changelist = reverse("admin:audit_auditentry_changelist")

    assert listed_subjects(staff_client.get(changelist, {"actor__id__exact": editor.pk})) == ["“Theirs”"]
    assert listed_subjects(staff_client.get(changelist, {"article__id__exact": ours.pk})) == ["“Ours”"]
    assert len(listed_subjects(staff_client.get(changelist, {"action": "publish"}))) == 2
    assert listed_subjects(staff_client.get(changelist, {"action": "archive"})) == []
    assert listed_subjects(staff_client.get(changelist, {"q": "Theirs"})) == ["“Theirs”"]


def test_the_log_cannot_be_added_to_changed_or_deleted_in_the_admin(staff_client):
    publish_article(ArticleFactory())
    entry = AuditEntry.objects.get()

    change = staff_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content  # shown, with no Save button
    assert staff_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    assert (
        staff_client.post(reverse("admin:audit_auditentry_change", args=[entry.pk]), {"after": "x"}).status_code == 403
    )
    assert AuditEntry.objects.get().after == PUBLISHED


def test_an_author_sees_their_articles_activity_on_its_history_page(client, author):
    article = ArticleFactory(author=author, status=DRAFT, title="Counting things")
    publish_article(article)
    comment = CommentFactory(article=article, name="Ann", status=Comment.Status.PENDING)
    approve_comment(comment)
    client.force_login(author.user)

    html = client.get(reverse("article_history", kwargs={"slug": article.slug})).content.decode()

    activity = html.split('id="activity"')[1]
    assert "Published" in activity and "draft → published" in activity
    assert f"Approved a comment: comment #{comment.pk} by Ann" in activity
    assert "pending → approved" in activity
    # The admin's log is for staff: an author gets no link to it.
    assert "/admin/audit/" not in activity


def test_the_history_page_shows_the_newest_activity_at_the_same_cost_however_long_the_log(client, author):
    article = ArticleFactory(author=author, status=DRAFT)
    client.force_login(author.user)
    url = reverse("article_history", kwargs={"slug": article.slug})

    def flip(times: int) -> None:
        for _ in range(times):
            stored = Article.objects.get(pk=article.pk)
            set_article_status(stored, ARCHIVED if stored.status == DRAFT else DRAFT)

    flip(3)
    with CaptureQueriesContext(connection) as few:
        short = client.get(url).content.decode()
    flip(40)
    with CaptureQueriesContext(connection) as many:
        long = client.get(url).content.decode()

    assert len(few) == len(many)
    assert "Only the newest" not in short
    assert "Only the newest 20 are shown." in long
    assert long.split('id="activity"')[1].count("<time") == 20
