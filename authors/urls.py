from django.urls import path

import blogsite.converters  # noqa: F401  (registers <segment:…>)

from . import views

urlpatterns = [
    path("authors/<segment:username>/follow/", views.FollowAuthorView.as_view(), name="author_follow"),
    path("authors/<segment:username>/unfollow/", views.UnfollowAuthorView.as_view(), name="author_unfollow"),
    path("unsubscribe/<segment:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
]
