from django.urls import path

from . import profile, views

urlpatterns = [
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("profile/", profile.EditProfileView.as_view(), name="profile_edit"),
]
