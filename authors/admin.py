from django.contrib import admin

from .admin_forms import AuthorAdminForm
from .models import Author, Follow


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    form = AuthorAdminForm
    list_display = ["__str__", "user", "article_count"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["article_count"]
    raw_id_fields = ["user"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "author", "created_at"]
    list_select_related = ["follower", "author__user"]
    raw_id_fields = ["follower", "author"]
