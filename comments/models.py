from django.conf import settings
from django.db import models, router, transaction

from articles.markdown import render_comment


class CommentQuerySet(models.QuerySet):
    def approved(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.APPROVED)

    def for_article_page(self) -> "CommentQuerySet":
        """What readers see under an article: the approved comments, in the order they were written."""
        return self.approved().order_by("created_at", "pk")

    def pending(self) -> "CommentQuerySet":
        return self.filter(status=Comment.Status.PENDING)

    def bulk_create(self, objs, *args, **kwargs) -> list["Comment"]:
        # No save() runs here: render the bodies the way it would.
        objs = list(objs)
        for comment in objs:
            comment.body_html = render_comment(comment.body)
        return super().bulk_create(objs, *args, **kwargs)


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="comments")
    # Null for a guest, and for a commenter whose account was deleted since.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    name = models.CharField(max_length=100)
    email = models.EmailField()
    body = models.TextField(max_length=5000)
    # The body rendered and sanitised by save(): the article page prints it as it is.
    body_html = models.TextField(default="", db_default="", editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    # The comment this one answers. Emptied when that one is deleted: a reply
    # stays readable, shown as answering a removed comment (depth says it was one).
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    # 0 for a comment on the article, its parent's depth + 1 for a reply (at most MAX_REPLY_DEPTH).
    depth = models.PositiveSmallIntegerField(default=0, db_default=0)
    # The commenter asked to be emailed when someone answers.
    notify_replies = models.BooleanField(default=False, db_default=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["article", "status", "created_at"], name="comment_article_listing"),
            models.Index(fields=["status", "-created_at"], name="comment_moderation_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.article_id}"

    def save(self, *, update_fields=None, **kwargs) -> None:
        # Rendered in Python before the INSERT or UPDATE, so it costs the save
        # no statement; a moderation (status only) renders and writes nothing.
        writes_body = "body" not in self.get_deferred_fields() if update_fields is None else "body" in update_fields
        if writes_body:
            self.body_html = render_comment(self.body)
            if update_fields is not None:
                update_fields = {*update_fields, "body_html"}
        # The receivers lock this row and update the article's counter: both
        # belong to this write's transaction.
        with transaction.atomic(
            using=kwargs.get("using") or router.db_for_write(Comment, instance=self), savepoint=False
        ):
            super().save(update_fields=update_fields, **kwargs)

    @property
    def is_reply(self) -> bool:
        return self.depth > 0

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class CommentDigest(models.Model):
    """One email telling an author about the pending comments that came in since their last one.

    Its comments are filed with it before the email goes (comments/digest.py):
    a worker killed after that sends the same digest, under the same
    ``send_once`` key, on its next round, and no comment is in two digests.
    """

    author = models.ForeignKey("authors.Author", on_delete=models.CASCADE, related_name="comment_digests")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once the email went out (or had nothing left to say): the rounds skip it.
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at"], name="comment_digest_unsent")]

    def __str__(self) -> str:
        return f"Digest {self.pk} for author {self.author_id}"

    @property
    def email_key(self) -> str:
        return f"comment-digest:{self.pk}"


class DigestedComment(models.Model):
    """A pending comment an author has been (or is about to be) told about: one digest per comment, ever."""

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, primary_key=True, related_name="digested")
    digest = models.ForeignKey(CommentDigest, on_delete=models.CASCADE, related_name="entries")

    def __str__(self) -> str:
        return f"Comment {self.comment_id} in digest {self.digest_id}"
