from django.urls import path

from . import profile, views

urlpatterns = [
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("profile/", profile.EditProfileView.as_view(), name="profile_edit"),
    # Before django.contrib.auth.urls, which routes the same path with the stock form.
    path("password_reset/", views.RateLimitedPasswordResetView.as_view(), name="password_reset"),
]
