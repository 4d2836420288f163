"""The audit log in the admin: read-only, filterable by actor, action, source and article."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from blogsite.admin_input import StrictInputMixin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(StrictInputMixin, admin.ModelAdmin):
    list_display = ("at", "who", "action", "subject_link", "change", "source", "path")
    list_filter = (
        "action",
        "source",
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("article", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("subject", "actor_name", "path")
    date_hierarchy = "at"
    list_select_related = ("article",)
    list_per_page = 50
    fields = (
        "at",
        "actor",
        "actor_name",
        "source",
        "path",
        "action",
        "article",
        "subject",
        "before",
        "after",
        "detail",
    )

    @admin.display(description="who", ordering="actor_name")
    def who(self, entry: AuditEntry) -> str:
        return entry.actor_name or entry.get_source_display()

    @admin.display(description="about", ordering="subject")
    def subject_link(self, entry: AuditEntry) -> str:
        if entry.article is None:
            return entry.subject
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:articles_article_change", args=[entry.article_id]), entry.subject
        )

    # What happened cannot be rewritten or forgotten from the admin.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
