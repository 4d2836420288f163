from django.urls import path

from . import views

urlpatterns = [
    path("authors/<str:username>/follow/", views.FollowAuthorView.as_view(), name="author_follow"),
    path("authors/<str:username>/unfollow/", views.UnfollowAuthorView.as_view(), name="author_unfollow"),
]
