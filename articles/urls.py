from django.urls import path

import blogsite.converters  # noqa: F401  (registers <segment:…>)
from blogsite.page_cache import cache_public_page

from . import editing, feeds, history, search, views

urlpatterns = [
    path("", cache_public_page(views.ArticleListView.as_view()), name="home"),
    path("write/", editing.WriteArticleView.as_view(), name="article_write"),
    path("write/preview/", editing.MarkdownPreviewView.as_view(), name="markdown_preview"),
    path(
        "articles/<segment:slug>/",
        cache_public_page(views.ArticleDetailView.as_view(), on_hit=views.count_cached_read),
        name="article_detail",
    ),
    path("articles/<segment:slug>/edit/", editing.EditArticleView.as_view(), name="article_edit"),
    path("articles/<segment:slug>/delete/", editing.DeleteArticleView.as_view(), name="article_delete"),
    path("articles/<segment:slug>/history/", history.ArticleHistoryView.as_view(), name="article_history"),
    path("articles/<segment:slug>/history/compare/", history.CompareRevisionsView.as_view(), name="article_compare"),
    path(
        "articles/<segment:slug>/history/<segment:revision>/restore/",
        history.RestoreRevisionView.as_view(),
        name="article_restore",
    ),
    path(
        "categories/<segment:slug>/", cache_public_page(views.CategoryArticleListView.as_view()), name="category_detail"
    ),
    path("tags/<segment:slug>/", cache_public_page(views.TagArticleListView.as_view()), name="tag_detail"),
    path("authors/<segment:username>/", cache_public_page(views.AuthorArticleListView.as_view()), name="author_detail"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("feed/", cache_public_page(feeds.LatestArticlesFeed()), name="feed"),
    path("feed/categories/<segment:slug>/", cache_public_page(feeds.CategoryFeed()), name="category_feed"),
    path("feed/tags/<segment:slug>/", cache_public_page(feeds.TagFeed()), name="tag_feed"),
    path("feed/authors/<segment:username>/", cache_public_page(feeds.AuthorFeed()), name="author_feed"),
]
