from django.urls import path

import blogsite.converters  # noqa: F401  (registers <segment:…>)

from . import views

urlpatterns = [
    path("write/autosave/", views.AutosaveNewArticleView.as_view(), name="autosave_new_article"),
    path("write/autosave/discard/", views.DiscardAutosaveView.as_view(), name="discard_new_article_autosave"),
    path("articles/<segment:slug>/autosave/", views.AutosaveArticleView.as_view(), name="autosave_article"),
    path(
        "articles/<segment:slug>/autosave/discard/",
        views.DiscardAutosaveView.as_view(),
        name="discard_article_autosave",
    ),
]
