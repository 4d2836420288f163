"""The task queue in the admin: every job with the errors of its failed attempts, and retry.

procrastinate's own job admin lists jobs and retries them, but it cannot say
why one failed (the engine does not keep the error); the attempts recorded in
TaskFailure fill that in.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from .admin_input import StrictInputMixin
from .models import EmailDelivery, TaskFailure


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(StrictInputMixin, admin.ModelAdmin):
    """The ledger of sent email, to answer "did they get it?"; written only by the tasks."""

    list_display = ["key", "recipient", "sent_at"]
    search_fields = ["key", "recipient"]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


if apps.is_installed("procrastinate.contrib.django"):
    from procrastinate.contrib.django.admin import ProcrastinateJobAdmin
    from procrastinate.contrib.django.models import ProcrastinateJob

    admin.site.unregister(ProcrastinateJob)

    @admin.register(ProcrastinateJob)
    class JobAdmin(StrictInputMixin, ProcrastinateJobAdmin):
        list_display = [*ProcrastinateJobAdmin.list_display, "attempts", "last_error"]
        fields = [*ProcrastinateJobAdmin.fields, "errors"]
        actions = ["retry_jobs", "cancel", "abort"]

        def get_queryset(self, request: HttpRequest) -> QuerySet[ProcrastinateJob]:
            # The newest error in the same query as the job: no query per row.
            newest = TaskFailure.objects.filter(job_id=OuterRef("pk")).values("error")[:1]
            return super().get_queryset(request).annotate(newest_error=Subquery(newest))

        def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
            return [*super().get_readonly_fields(request, obj), "errors"]

        @admin.display(description="Last error")
        def last_error(self, job: ProcrastinateJob) -> str:
            return job.newest_error or ""

        @admin.display(description="Errors, newest first")
        def errors(self, job: ProcrastinateJob) -> str:
            failures = TaskFailure.objects.filter(job_id=job.pk)
            return format_html_join(
                "",
                "<p>Attempt {} at {}: <strong>{}</strong></p><pre>{}</pre>",
                ((f.attempt, f.failed_at, f.error, f.traceback) for f in failures),
            ) or format_html("<p>{}</p>", "No failed attempt.")

        @admin.action(description="Retry the selected failed or stuck jobs now")
        def retry_jobs(self, request: HttpRequest, queryset: QuerySet[ProcrastinateJob]) -> None:
            # Counted before: once retried, the jobs no longer match either filter.
            selected = queryset.count()
            retryable = list(queryset.filter(status__in=["failed", "doing"]).values_list("pk", flat=True))
            ProcrastinateJobAdmin.retry(self, request, ProcrastinateJob.objects.filter(pk__in=retryable))
            self.message_user(request, f"{len(retryable)} job(s) queued again.", messages.SUCCESS)
            if skipped := selected - len(retryable):
                self.message_user(request, f"{skipped} job(s) were neither failed nor stuck.", messages.WARNING)
