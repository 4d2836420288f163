from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView

from authors.models import Author

from .models import Article, ArticleRedirect, Category
from .signals import article_viewed


class ArticleListView(ListView):
    template_name = "articles/article_list.html"
    paginate_by = 10

    def get_queryset(self):
        return Article.objects.published().for_listing()


class CategoryArticleListView(ArticleListView):
    template_name = "articles/category_detail.html"

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return super().get_queryset().filter(category=self.category)

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class AuthorArticleListView(ArticleListView):
    template_name = "authors/author_detail.html"

    def get_queryset(self):
        self.author = get_object_or_404(Author.objects.select_related("user"), user__username=self.kwargs["username"])
        return super().get_queryset().filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"

    def get_queryset(self):
        return Article.objects.select_related("author__user", "category")

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            # An address the author has since changed answers 301 to the new one.
            redirect = ArticleRedirect.objects.select_related("article").filter(old_slug=kwargs["slug"]).first()
            if redirect is None:
                raise
            return HttpResponsePermanentRedirect(redirect.article.get_absolute_url())
        if not self.object.is_published and not self.can_preview(self.object):
            raise Http404("No article found matching the query")
        if self.object.is_published:
            article_viewed.send(sender=Article, article=self.object, request=request)
        return self.render_to_response(self.get_context_data(object=self.object))

    def can_preview(self, article: Article) -> bool:
        user = self.request.user
        return user.is_authenticated and (user.is_staff or article.author.user_id == user.pk)

    def get_context_data(self, **kwargs):
        comments = self.object.comments.approved().order_by("created_at", "pk")
        return super().get_context_data(comments=comments, **kwargs)


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "articles/dashboard.html"

    def get_context_data(self, **kwargs):
        author = get_object_or_404(Author, user=self.request.user)
        articles = author.articles.select_related("category").order_by("status", "-updated_at")
        by_status = {status: [] for status in Article.Status}
        for article in articles:
            by_status[Article.Status(article.status)].append(article)
        return super().get_context_data(author=author, by_status=by_status, **kwargs)
