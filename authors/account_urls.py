from django.contrib.auth import views as auth_views
from django.urls import path

from . import profile, views
from .forms import QueuedPasswordResetForm

urlpatterns = [
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("profile/", profile.EditProfileView.as_view(), name="profile_edit"),
    # Before django.contrib.auth.urls, which routes the same path with the stock form.
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
]
