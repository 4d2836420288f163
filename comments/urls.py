from django.urls import path

import blogsite.converters  # noqa: F401  (registers <segment:…>)

from . import views

urlpatterns = [
    path("articles/<segment:slug>/comments/", views.PostCommentView.as_view(), name="comment_create"),
]
