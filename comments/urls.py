from django.urls import path

from . import views

urlpatterns = [
    path("articles/<str:slug>/comments/", views.PostCommentView.as_view(), name="comment_create"),
]
