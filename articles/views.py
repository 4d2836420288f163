"""The reading side of the site: listings, the article page, the author's dashboard."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView

from authors.models import Author, Follow
from blogsite.page_cache import csrf_token_for
from comments.forms import CommentForm

from .models import Article, ArticleRedirect, Category
from .pagination import ArticlePaginationMixin
from .readers import is_countable_read
from .selectors import author_dashboard
from .signals import article_viewed
from .view_counts import with_total_views


class ArticleListView(ArticlePaginationMixin, ListView):
    template_name = "articles/article_list.html"

    def get_queryset(self):
        return Article.objects.published().for_listing()


class CategoryArticleListView(ArticleListView):
    template_name = "articles/category_detail.html"

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return super().get_queryset().filter(category=self.category)

    def published_count(self) -> int:
        # The category's counter is exact (articles/receivers.py): no COUNT(*) per page.
        return self.category.article_count

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class AuthorArticleListView(ArticleListView):
    template_name = "authors/author_detail.html"

    def get_queryset(self):
        authors = Author.objects.with_user().with_follower_total()
        self.author = get_object_or_404(authors, user__username=self.kwargs["username"])
        return super().get_queryset().filter(author=self.author)

    def published_count(self) -> int:
        return self.author.article_count

    def get_context_data(self, **kwargs):
        is_following = Follow.objects.is_following(self.request.user, self.author)
        return super().get_context_data(author=self.author, is_following=is_following, **kwargs)


def can_preview(user, article: Article) -> bool:
    """An unpublished article is shown to its author and to staff, nobody else."""
    return user.is_authenticated and (user.is_staff or article.author.user_id == user.pk)


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"

    def get_queryset(self):
        return Article.objects.for_page()

    def get(self, request, *args, **kwargs) -> HttpResponse:
        try:
            self.object = self.get_object()
        except Http404:
            # An address the author has since changed answers 301 to the new one.
            redirect = ArticleRedirect.objects.from_old_slug(kwargs["slug"])
            # Only to an article this reader may see: the redirect must not give
            # away the new address of a draft.
            if redirect is None or not (redirect.article.is_published or can_preview(request.user, redirect.article)):
                raise
            return HttpResponsePermanentRedirect(redirect.article.get_absolute_url())
        if not self.object.is_published and not can_preview(request.user, self.object):
            raise Http404("No article found matching the query")
        response = self.render_to_response(self.get_context_data(object=self.object))
        if self.object.is_published:
            # For the page cache (blogsite/page_cache.py): a hit is a read of this article too.
            response.page_cache_note = {"article": self.object.pk}
        if self.counts_as_a_read(request):
            # Counted once the page has rendered, not before: a template that
            # fails while rendering is a 500, and a 500 is not a read. The
            # response stays lazy, so the handler renders it as always.
            response.add_post_render_callback(self.count_read)
        return response

    def count_read(self, response: HttpResponse) -> None:
        # Returns None: a post-render callback's return value replaces the response.
        article_viewed.send(sender=Article, article=self.object, request=self.request)

    def counts_as_a_read(self, request) -> bool:
        # Readers are counted; the author checking their own page and the
        # editors are not, nor a HEAD, a prefetch or a crawler (readers.py).
        return (
            is_countable_read(request)
            and self.object.is_published
            and not (request.user.is_authenticated and can_preview(request.user, self.object))
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault("comment_form", CommentForm(user=self.request.user))
        if (placeholder := csrf_token_for(self.request)) is not None:
            # Rendered for every anonymous reader: no one reader's token in it.
            kwargs["csrf_token"] = placeholder
        with_total_views([self.object])
        comments = self.object.comments.for_article_page()
        return super().get_context_data(
            comments=comments, can_edit=can_preview(self.request.user, self.object), **kwargs
        )


def count_cached_read(request: HttpRequest, note: dict) -> None:
    """A cache hit of an article page is a read like a rendered one, counted before it is served."""
    # Anonymous readers only reach the cache: a countable request is a read.
    if note.get("article") and is_countable_read(request):
        # receivers of article_viewed use the article's pk; the page holds no more.
        article_viewed.send(sender=Article, article=Article(pk=note["article"]), request=request)


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "articles/dashboard.html"

    def get_context_data(self, **kwargs):
        author = get_object_or_404(Author.objects.with_follower_total(), user=self.request.user)
        dashboard = author_dashboard(author=author)
        return super().get_context_data(author=author, by_status=dashboard.by_status, totals=dashboard.totals, **kwargs)
