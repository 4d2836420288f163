"""The reading side of the site: listings, the article page, the author's dashboard."""

from __future__ import annotations

import functools

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView, TemplateView

from authors.models import Author, Follow
from blogsite.page_cache import csrf_token_for
from blogsite.prepared_lookups import PreparedLookup, PreparedPages
from comments.forms import CommentForm
from comments.models import Comment
from comments.replies import reply_target

from . import shared_part
from .cards import published_card_rows
from .models import Article, ArticleRedirect, Category, Tag
from .pagination import ArticlePaginationMixin
from .readers import is_countable_read
from .selectors import author_dashboard
from .shared_part import SharedArticlePart
from .signals import article_viewed
from .view_counts import with_total_views


@functools.cache
def listing_pages(lookup: str | None) -> PreparedPages:
    """The pages of the published card rows filtered by ``lookup`` (None: all of them), each compiled once."""
    return PreparedPages(published_card_rows(), lookup)


class ArticleListView(ArticlePaginationMixin, ListView):
    """The published articles, newest first, as their cards' rows (articles/cards.py); subclasses filter them.

    The paginator slices ``get_queryset()``; the page's rows are then read by
    the same SQL compiled once per connection and page (PreparedPages),
    instead of filtered and compiled for every request.
    """

    template_name = "articles/article_list.html"
    # How an article names the row a subclass lists (see listed_pk); None: every article.
    articles_lookup: str | None = None

    def get_queryset(self):
        return published_card_rows()

    def listed_pk(self) -> int | None:
        return None

    def page_rows(self, page_queryset):
        query = page_queryset.query
        return listing_pages(self.articles_lookup).rows(query.low_mark, query.high_mark, self.listed_pk())


class CountedListingView(ArticleListView):
    """The published articles of one row that counts them (a category, a tag), found by its slug.

    The row's counter is exact (articles/receivers.py, articles/tag_counts.py):
    it is the paginator's count, so no page runs a COUNT(*). The row is found
    by SQL compiled once per connection (blogsite/prepared_lookups.py):
    compiling it was most of the lookup's time.
    """

    row_by_slug: PreparedLookup[Category] | PreparedLookup[Tag]
    articles_lookup: str  # "category", "tags"
    context_object_name_of_row: str

    def get_queryset(self):
        self.row = self.row_by_slug.get_or_404(self.kwargs["slug"])
        return super().get_queryset().filter(**{self.articles_lookup: self.row})

    def listed_pk(self) -> int:
        return self.row.pk

    def published_count(self) -> int:
        return self.row.article_count

    def get_context_data(self, **kwargs):
        return super().get_context_data(**{self.context_object_name_of_row: self.row}, **kwargs)


class CategoryArticleListView(CountedListingView):
    template_name = "articles/category_detail.html"
    row_by_slug = PreparedLookup(Category.objects.all(), "slug")
    articles_lookup, context_object_name_of_row = "category", "category"


class TagArticleListView(CountedListingView):
    template_name = "articles/tag_detail.html"
    row_by_slug = PreparedLookup(Tag.objects.all(), "slug")
    articles_lookup, context_object_name_of_row = "tags", "tag"


class AuthorArticleListView(ArticleListView):
    template_name = "authors/author_detail.html"
    # Their name and follower count in the one query, compiled once per connection (blogsite/prepared_lookups.py).
    author_by_username = PreparedLookup(Author.objects.with_user().with_follower_total(), "user__username")
    articles_lookup = "author"

    def get_queryset(self):
        self.author = self.author_by_username.get_or_404(self.kwargs["username"])
        return super().get_queryset().filter(author=self.author)

    def listed_pk(self) -> int:
        return self.author.pk

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
        generation, part = shared_part.lookup(request, kwargs["slug"])
        if part is not None and not part.is_editable_by(request.user):
            # The article and its comments from the cache: no query for either.
            return self.respond(part, part, editable=False)
        try:
            article = self.get_object()
        except Http404:
            # An address the author has since changed answers 301 to the new one.
            redirect = ArticleRedirect.objects.from_old_slug(kwargs["slug"])
            # Only to an article this reader may see: the redirect must not give
            # away the new address of a draft.
            if redirect is None or not (redirect.article.is_published or can_preview(request.user, redirect.article)):
                raise
            return HttpResponsePermanentRedirect(redirect.article.get_absolute_url())
        editable = can_preview(request.user, article)
        if not article.is_published and not editable:
            raise Http404("No article found matching the query")
        return self.respond(article, self.article_part(article, editable, generation), editable=editable)

    def article_part(self, article: Article, editable: bool, generation: int | None = None) -> SharedArticlePart:
        """The article and its comments, rendered; stored for sharing under ``generation`` unless ``editable``."""
        with_total_views([article])
        comments = article.comments.for_article_page()
        if editable:
            return shared_part.rendered_part(article, comments, editor=self.request.user)
        # Only a published article gets here: the part every other reader shares.
        part = shared_part.rendered_part(article, comments)
        if generation is not None:
            shared_part.store(part, generation)
        return part

    def respond(
        self, article: Article | SharedArticlePart, part: SharedArticlePart, *, editable: bool, **context
    ) -> HttpResponse:
        self.object = article
        context = self.get_context_data(
            object=article, article=article, article_part=part, can_edit=editable, **context
        )
        response = self.render_to_response(context)
        if article.is_published:
            # For the page cache (blogsite/page_cache.py): a hit is a read of this article too.
            response.page_cache_note = {"article": article.pk}
            # Readers are counted; the author checking their own page and the
            # editors are not, nor a HEAD, a prefetch or a crawler (readers.py).
            if not editable and is_countable_read(self.request):
                # Counted once the page has rendered, not before: a template that
                # fails while rendering is a 500, and a 500 is not a read. The
                # response stays lazy, so the handler renders it as always.
                response.add_post_render_callback(functools.partial(count_read, self.request, article.pk))
        return response

    def get_context_data(self, **kwargs):
        form = kwargs.get("comment_form")
        # ?reply=<pk>, the Reply link under a comment: the form answers that comment.
        raw_parent = form.data.get("parent") if form is not None and form.is_bound else self.request.GET.get("reply")
        replying_to = answerable_comment(kwargs.get("article") or self.object, raw_parent)
        if form is None:
            initial = {"parent": replying_to.pk} if replying_to else {}
            kwargs["comment_form"] = CommentForm(user=self.request.user, initial=initial)
        kwargs["replying_to"] = replying_to
        if (placeholder := csrf_token_for(self.request)) is not None:
            # Rendered for every anonymous reader: no one reader's token in it.
            kwargs["csrf_token"] = placeholder
        return super().get_context_data(**kwargs)


def answerable_comment(article, raw_pk: str | None) -> Comment | None:
    """The comment ``raw_pk`` (from the address or the form) names, if a reply to it would be taken."""
    if not raw_pk or not str(raw_pk).isdigit() or not getattr(article, "is_published", False):
        return None
    try:
        return reply_target(article, int(raw_pk))
    except ValidationError:
        return None


def count_read(request: HttpRequest, article_pk: int, response: HttpResponse | None = None) -> None:
    # Returns None: a post-render callback's return value replaces the response.
    # Receivers of article_viewed use the article's pk; a shared part holds no
    # more. An instance with every other field deferred loads them if a receiver
    # reads one, and costs a quarter of Article(pk=…), which fills in defaults.
    article = Article.from_db(Article.objects.db, ["id"], [article_pk])
    article_viewed.send(sender=Article, article=article, request=request)


def count_cached_read(request: HttpRequest, note: dict) -> None:
    """A cache hit of an article page is a read like a rendered one, counted before it is served."""
    # Anonymous readers only reach the cache: a countable request is a read.
    if note.get("article") and is_countable_read(request):
        count_read(request, note["article"])


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "articles/dashboard.html"

    def get_context_data(self, **kwargs):
        author = get_object_or_404(Author.objects.with_follower_total(), user=self.request.user)
        dashboard = author_dashboard(author=author)
        return super().get_context_data(author=author, by_status=dashboard.by_status, totals=dashboard.totals, **kwargs)
