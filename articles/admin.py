from django.contrib import admin, messages

from blogsite.admin_input import StrictInputMixin

from .admin_forms import ArticleAdminForm
from .models import Article, ArticleRedirect, Category
from .services import set_article_status


def _change_status(modeladmin, request, queryset, status: Article.Status, verb: str) -> None:
    # Row by row through the service's save(), never QuerySet.update(): the
    # receivers count each transition and send its event. Each save is atomic
    # by itself, so a failure keeps the rows changed before it.
    changed = 0
    for article in queryset.order_by("pk"):
        if article.status == status:
            continue
        set_article_status(article, status)
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


@admin.register(Article)
class ArticleAdmin(StrictInputMixin, admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = ["title", "author", "category", "status", "published_at", "comment_count", "view_count"]
    list_filter = ["status", "category", "author"]
    list_select_related = ["author__user", "category"]
    search_fields = ["title", "slug", "excerpt"]
    date_hierarchy = "published_at"
    readonly_fields = ["comment_count", "view_count", "created_at", "updated_at"]
    autocomplete_fields = ["author", "category"]
    actions = [publish, unpublish, archive]


@admin.register(Category)
class CategoryAdmin(StrictInputMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "article_count"]
    search_fields = ["name"]
    readonly_fields = ["article_count"]


@admin.register(ArticleRedirect)
class ArticleRedirectAdmin(StrictInputMixin, admin.ModelAdmin):
    list_display = ["old_slug", "article", "created_at"]
    search_fields = ["old_slug", "article__title"]
    list_select_related = ["article"]
