from django.urls import path

from . import views

urlpatterns = [
    path("", views.ArticleListView.as_view(), name="home"),
    path("articles/<str:slug>/", views.ArticleDetailView.as_view(), name="article_detail"),
    path("categories/<str:slug>/", views.CategoryArticleListView.as_view(), name="category_detail"),
    path("authors/<str:username>/", views.AuthorArticleListView.as_view(), name="author_detail"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
]
