import base64
import hashlib

from csp.constants import UNSAFE_HASHES
from csp.decorators import csp_update
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.db import router, transaction
from django.utils.decorators import method_decorator
from simple_history.admin import SimpleHistoryAdmin

from blogsite.admin_input import StrictInputMixin

from .admin_forms import ArticleAdminForm
from .edit_locks import lock_rows_counted_by_edit
from .models import Article, ArticleRedirect, Category, Tag
from .services import set_article_status
from .tags import merge_tags


def style_hash(declarations: str) -> str:
    """A CSP source that allows one inline style, by the SHA-256 of its text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(declarations.encode()).digest()).decode() + "'"


def _change_status(modeladmin, request, queryset, status: Article.Status, verb: str) -> None:
    # Row by row through the service's save(), never QuerySet.update(): the
    # receivers count each transition and send its event. Each article is one
    # transaction, its save and the LogEntry of the admin's "Recent actions",
    # so a failure keeps the rows changed before it.
    changed = 0
    for article in queryset.order_by("pk"):
        if article.status == status:
            continue
        with transaction.atomic():
            set_article_status(article, status)
            modeladmin.log_change(request, article, f"{verb.capitalize()} by an admin action.")
        changed += 1
    modeladmin.message_user(request, f"{changed} article(s) {verb}.", messages.SUCCESS)


@admin.action(description="Publish selected articles", permissions=["change"])
def publish(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, Article.Status.PUBLISHED, "published")


@admin.action(description="Unpublish selected articles (back to draft)", permissions=["change"])
def unpublish(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, Article.Status.DRAFT, "unpublished")


@admin.action(description="Archive selected articles", permissions=["change"])
def archive(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, Article.Status.ARCHIVED, "archived")


class TagsThroughArticleTag:
    """Shows an article's tags, which Django's admin leaves out: they link through a model of the project's own.

    ArticleTag holds the two keys only, so ``set()`` writes its rows as it would
    Django's own table's, and each is counted (articles.tag_counts). After
    StrictInputMixin in the bases: its key-checking field class is kept.
    """

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name != "tags":
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        widget = AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return db_field.formfield(**{"widget": widget, **kwargs})


@admin.register(Article)
class ArticleAdmin(StrictInputMixin, TagsThroughArticleTag, SimpleHistoryAdmin):
    """The History button lists the article's revisions (read only: SIMPLE_HISTORY_REVERT_DISABLED).

    simple-history's revert saves the revision as the whole row, counters
    and status included, which the revision does not keep: a restore is the
    site's (articles/history.py), which writes the content fields only.
    """

    def get_fields(self, request, obj=None):
        # The form opened on a stored article carries its version; a new one has none.
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [name for name in fields if name != "version"]

    # simple-history's history list writes one style attribute (its paginator's
    # border-top: 0); the Content-Security-Policy allows that one, by its hash, there only.
    @method_decorator(csp_update({"style-src": [UNSAFE_HASHES, style_hash("border-top: 0")]}))
    def history_view(self, request, object_id, extra_context=None):
        # simple-history filters its revisions by the raw id: "abc" was a 500.
        # Django's get_object answers None for an id that is no key, as for a missing one.
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        # In the change view's transaction, after the form's check locked the
        # article: save_related's set() of the tags counts them after this save
        # counts the author, so every row either counts is locked first, in order.
        lock_rows_counted_by_edit(obj, form.cleaned_data.get("tags", ()), using=router.db_for_write(Article))
        super().save_model(request, obj, form, change)

    form = ArticleAdminForm
    list_display = ["title", "author", "category", "status", "published_at", "comment_count", "view_count"]
    list_filter = ["status", "category", "author"]
    list_select_related = ["author__user", "category"]
    search_fields = ["title", "slug", "excerpt"]
    date_hierarchy = "published_at"
    readonly_fields = ["comment_count", "view_count", "created_at", "updated_at"]
    autocomplete_fields = ["author", "category", "tags"]
    actions = [publish, unpublish, archive]


@admin.register(Category)
class CategoryAdmin(StrictInputMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name"]
    readonly_fields = ["article_count"]


@admin.action(description="Merge the selected tags into the most used of them")
def merge_selected_tags(modeladmin, request, queryset):
    tags = list(queryset.order_by("-article_count", "pk"))
    if len(tags) < 2:
        modeladmin.message_user(request, "Choose two tags or more to merge.", messages.WARNING)
        return
    into, merged = tags[0], tags[1:]
    with transaction.atomic():
        for tag in merged:
            merge_tags(tag, into=into)
        modeladmin.log_change(request, into, f"Merged {', '.join(tag.name for tag in merged)} into it.")
    modeladmin.message_user(request, f"Merged {len(merged)} tag(s) into “{into}”.", messages.SUCCESS)


@admin.register(Tag)
class TagAdmin(StrictInputMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name"]
    readonly_fields = ["article_count"]
    prepopulated_fields = {"slug": ["name"]}
    actions = [merge_selected_tags]


@admin.register(ArticleRedirect)
class ArticleRedirectAdmin(StrictInputMixin, admin.ModelAdmin):
    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__title"]
    list_select_related = ["article"]
