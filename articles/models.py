from __future__ import annotations

import html
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator, slugify
from django_cleanup import cleanup

from blogsite.counters import CountedModel
from blogsite.write_source import current_source

from .markdown import reading_minutes, render_markdown
from .revision_records import NOT_KEPT_FIELDS, ArticleRevisions, RevisionSource
from .slugs import unique_slug

# A lost race for a slug costs one retry; this many in a row means something
# other than a race is wrong.
SLUG_ATTEMPTS = 5
# Words of the body a listing shows for an article without an excerpt.
SUMMARY_WORDS = 40


class Category(CountedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True, blank=True)
    description = models.TextField(blank=True)
    # Published articles; kept by articles.receivers, never by save().
    article_count = models.PositiveIntegerField(default=0, editable=False)

    counter_fields = ("article_count",)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=models.Q(article_count__gte=0), name="category_article_count_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, **kwargs: Any) -> None:
        if not self.slug:
            self.slug = unique_slug(Category._base_manager.exclude(pk=self.pk), self.name)
        super().save(**kwargs)

    def get_absolute_url(self) -> str:
        return reverse("category_detail", kwargs={"slug": self.slug})


class TagQuerySet(models.QuerySet):
    def named(self, name: str) -> TagQuerySet:
        # "Python" and "python" are one tag: the first spelling stays its name.
        return self.filter(name__iexact=name)

    def in_use(self) -> TagQuerySet:
        """Tags with a published article, most used first: the ones worth offering and listing."""
        return self.filter(article_count__gt=0).order_by("-article_count", "name")


def validate_tag_name(name: str) -> None:
    # "???" or "🎉" alone: nothing to make an address of, nothing to search by.
    if not slugify(name, allow_unicode=True):
        raise ValidationError("A tag needs a letter or a digit.", code="tag_without_word")


class Tag(CountedModel):
    name = models.CharField(max_length=50, validators=[validate_tag_name])
    slug = models.SlugField(max_length=60, unique=True, allow_unicode=True)
    # Published articles with this tag; kept by articles.tag_counts, never by save().
    article_count = models.PositiveIntegerField(default=0, editable=False)

    counter_fields = ("article_count",)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="tag_name_unique_ignoring_case",
                violation_error_message="A tag of this name already exists (whatever its capitals).",
            ),
            models.CheckConstraint(condition=models.Q(article_count__gte=0), name="tag_article_count_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tag_detail", kwargs={"slug": self.slug})


def normalized_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class ArticleQuerySet(models.QuerySet):
    """Every read of articles starts here, so "what is published" is decided once."""

    def published(self) -> ArticleQuerySet:
        return self.filter(status=Article.Status.PUBLISHED)

    def for_page(self) -> ArticleQuerySet:
        # An article's page and each row of a listing show its author's name
        # and its category: join them instead of two queries per article.
        return self.select_related("author__user", "category")

    def newest_first(self) -> ArticleQuerySet:
        return self.order_by("-published_at", "-pk")

    def for_listing(self) -> ArticleQuerySet:
        return self.for_page().newest_first()

    def for_dashboard(self) -> ArticleQuerySet:
        # The dashboard's tables show each article's category, and read as
        # the last edit first.
        return self.select_related("category").order_by("-updated_at", "-pk")

    def bulk_create(self, objs, *args: Any, **kwargs: Any) -> list[Article]:
        # No save() runs here: render the bodies the way it would, and keep
        # each article's first revision the way its post_save would.
        objs = list(objs)
        for article in objs:
            article.body = normalized_newlines(article.body)
            article.body_html = render_markdown(article.body)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            Article.revisions.bulk_history_create(created, custom_historical_attrs={"source": current_source()})
        return created


# django-cleanup would delete a cover as soon as it is replaced, while a
# revision still names it: articles/cover_files.py deletes a cover once nothing does.
@cleanup.ignore
class Article(CountedModel):
    class Status(models.TextChoices):
        DRAFT = "draft"
        SCHEDULED = "scheduled"
        PUBLISHED = "published"
        ARCHIVED = "archived"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        allow_unicode=True,
        blank=True,
        help_text="Leave empty to make one from the title. Changing it later keeps the old address working.",
    )
    author = models.ForeignKey("authors.Author", on_delete=models.CASCADE, related_name="articles")
    category = models.ForeignKey(Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")
    excerpt = models.TextField(blank=True)
    # What search results and shared links show; the excerpt (or the body's start) when empty.
    meta_description = models.CharField(
        max_length=300,
        blank=True,
        default="",
        db_default="",  # rows inserted without the ORM (bench/recount.py) have none
        help_text="What search engines and link previews show. Leave empty to use the excerpt.",
    )
    body = models.TextField(help_text="Markdown.")
    # The body rendered and sanitised by save(): pages print it as it is.
    body_html = models.TextField(default="", db_default="", editable=False)
    # Indexed here and on the revisions (simple-history copies db_index): whether
    # anything still names a cover file is a lookup, not a scan of the history.
    cover = models.ImageField(upload_to="covers/%Y/%m/", blank=True, db_index=True)
    # Kept in articles_articletag; each tag's count by articles.tag_counts.
    tags = models.ManyToManyField(Tag, through="ArticleTag", related_name="articles", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # First publication (kept afterwards) or, while scheduled, the planned time.
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A tally with no source rows: only ever raised by article_viewed.
    view_count = models.PositiveBigIntegerField(default=0, editable=False)
    # Approved comments; kept by comments.receivers, never by save().
    comment_count = models.PositiveIntegerField(default=0, editable=False)

    counter_fields = ("view_count", "comment_count")

    objects = ArticleQuerySet.as_manager()
    # Every change of content, in the saving transaction (articles/revision_records.py).
    revisions = ArticleRevisions(
        custom_model_name="ArticleRevision",
        table_name="articles_revision",
        verbose_name="revision",
        verbose_name_plural="revisions",
        excluded_fields=list(NOT_KEPT_FIELDS),
        bases=[RevisionSource],
    )

    class Meta:
        ordering = [models.F("published_at").desc(nulls_last=True), "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_published"),
            models.Index(fields=["author", "status", "-published_at"], name="article_author_listing"),
            models.Index(fields=["category", "status", "-published_at"], name="article_category_listing"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(comment_count__gte=0), name="article_comment_count_gte_0"),
            models.CheckConstraint(condition=models.Q(view_count__gte=0), name="article_view_count_gte_0"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("article_detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.body)

    def summary(self, words: int = SUMMARY_WORDS, *, truncate: str = " …") -> str:
        """The excerpt, or else the body's first ``words`` words: plain text, for the caller to escape.

        The body's stored HTML is the source, so Markdown syntax does not leak
        into the summary, taken back to plain text (the tags stripped, the
        entities decoded) so the words are cut as text. ``truncate`` ends a
        cut body; the default is the one the listings show.
        """
        if self.excerpt:
            return self.excerpt
        text = html.unescape(strip_tags(self.body_html))
        return Truncator(text).words(words, truncate=truncate)

    def save(self, *, update_fields=None, **kwargs: Any) -> None:
        # Rendered here, in Python before the INSERT or UPDATE, so it costs the
        # save no statement; a save that leaves the body alone (a status
        # change, a deferred body) renders nothing and writes no body_html.
        writes_body = "body" not in self.get_deferred_fields() if update_fields is None else "body" in update_fields
        if writes_body:
            # Browsers send a textarea's lines ended by CRLF: stored as LF, so
            # an edit sent back unchanged is unchanged (and so is its revision).
            self.body = normalized_newlines(self.body)
            self.body_html = render_markdown(self.body)
            if update_fields is not None:
                update_fields = {*update_fields, "body_html"}
        if update_fields is not None and "status" in update_fields:
            # The receivers may set published_at on a transition into
            # published; a save naming only status must still store it.
            update_fields = {*update_fields, "published_at"}
        if update_fields:
            # Every save is an edit, and updated_at says when, whichever fields
            # it names: a listing's cached card is keyed by it (articles/cards.py).
            update_fields = {*update_fields, "updated_at"}
        if self.slug:
            super().save(update_fields=update_fields, **kwargs)
        else:
            self._save_with_generated_slug(update_fields=update_fields, **kwargs)

    def _save_with_generated_slug(self, **kwargs: Any) -> None:
        using = kwargs.get("using") or router.db_for_write(Article, instance=self)
        others = Article._base_manager.using(using).exclude(pk=self.pk)
        for attempt in range(1, SLUG_ATTEMPTS + 1):
            self.slug = unique_slug(others, self.title)
            try:
                # A savepoint when called inside a transaction, a transaction
                # otherwise: either way a lost race leaves nothing behind.
                with transaction.atomic(using=using):
                    super().save(**kwargs)
                return
            except IntegrityError:
                lost_race = others.filter(slug=self.slug).exists()
                self.slug = ""
                if not lost_race or attempt == SLUG_ATTEMPTS:
                    raise


class ArticleTag(models.Model):
    """One tag on one article. Its own model, so that every way a link is made or removed sends a signal
    the tag counts hear (articles/tag_counts.py) and two writers adding the same tag collide on the key."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="article_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "tag"], name="article_tag_once")]
        indexes = [models.Index(fields=["tag", "article"], name="articletag_by_tag")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.article_id}"


class ArticleRedirectQuerySet(models.QuerySet):
    def from_old_slug(self, old_slug: str) -> ArticleRedirect | None:
        # The article's author comes along: whether the reader may follow the
        # redirect to a draft depends on who wrote it.
        return self.select_related("article__author").filter(old_slug=old_slug).first()


class ArticleRedirect(models.Model):
    """An address an article had before its author changed the slug: it answers 301."""

    old_slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ArticleRedirectQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.article.slug}"


class ViewFlush(models.Model):
    """A batch of views buffered in Redis that has been added to ``Article.view_count``.

    The row commits in the same transaction as the counts it records, and its
    unique ``batch_id`` refuses a second insert: a flush that died before it
    could delete the batch from Redis, or a flush racing another one over the
    same batch, finds the row and applies nothing twice (see
    ``articles.view_counts``).
    """

    batch_id = models.UUIDField(unique=True, editable=False)
    views = models.PositiveBigIntegerField()
    articles = models.PositiveIntegerField()
    flushed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-flushed_at"]

    def __str__(self) -> str:
        return f"{self.views} views on {self.articles} articles ({self.batch_id})"
