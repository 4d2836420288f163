from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from blogsite.admin_input import StrictInputMixin

from .admin_forms import AuthorAdminForm
from .models import Author, Follow


@admin.register(Author)
class AuthorAdmin(StrictInputMixin, admin.ModelAdmin):
    form = AuthorAdminForm
    list_display = ["__str__", "user", "article_count"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["article_count"]
    raw_id_fields = ["user"]


@admin.register(Follow)
class FollowAdmin(StrictInputMixin, admin.ModelAdmin):
    list_display = ["follower", "author", "created_at"]
    list_select_related = ["follower", "author__user"]
    raw_id_fields = ["follower", "author"]


# Django's own admins for users and groups, registered by django.contrib.auth
# (an earlier app, so its admin module has run by now), again with the
# project's answer to malformed input.
admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class UserAdmin(StrictInputMixin, auth_admin.UserAdmin):
    pass


@admin.register(Group)
class GroupAdmin(StrictInputMixin, auth_admin.GroupAdmin):
    pass


# django-axes' admins (failed logins; deleting an attempt unlocks that username
# and IP at once), re-registered with the mixin that turns malformed input
# into a 4xx. Imported (so registered) above, before autodiscovery reaches axes.
for _model, _model_admin in (
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessLog, axes_admin.AccessLogAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, type(_model_admin.__name__, (StrictInputMixin, _model_admin), {}))
