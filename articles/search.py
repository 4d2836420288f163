"""Search over published articles: ranked full-text search on PostgreSQL, a substring match elsewhere."""

from __future__ import annotations

import operator
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import Q
from django.views.generic import ListView

from .models import Article, ArticleQuerySet, Tag
from .pagination import ArticlePaginationMixin
from .search_syntax import SearchTerm, parse_search_query

# Longer than anyone types into a search box; bounds the work a request can ask for.
MAX_QUERY_LENGTH = 200
SEARCH_CONFIG = "english"
TAGS_SHOWN = 5


def article_search_vector() -> SearchVector:
    # Must compile to exactly the expression indexed by migration
    # 0002_article_search_index, or PostgreSQL cannot use the GIN index;
    # tests/articles/test_search.py checks the plan.
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("excerpt", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )


def clean_search_query(raw: str) -> str:
    # PostgreSQL refuses NUL in a string; collapsing whitespace keeps the box tidy.
    return " ".join(raw.replace("\x00", " ").split())[:MAX_QUERY_LENGTH]


def search_articles(articles: ArticleQuerySet, query: str) -> ArticleQuerySet:
    """``articles`` matching ``query``, best match first (newest first without PostgreSQL)."""
    alternatives = parse_search_query(query)
    if not alternatives:
        return articles.none()
    if connections[articles.db].vendor == "postgresql":
        vector = article_search_vector()
        tsquery = postgres_search_query(alternatives)
        # alias(), not annotate(): the vector is for the WHERE (where the GIN
        # index answers it), selecting it too would be computed for nothing.
        return (
            articles.alias(search=vector)
            .filter(search=tsquery)
            .annotate(rank=SearchRank(vector, tsquery))
            .order_by("-rank", "-published_at", "-pk")
        )
    return articles.filter(substring_condition(alternatives))


def postgres_search_query(alternatives: list[list[SearchTerm]]) -> SearchQuery:
    # phraseto_tsquery, never websearch_to_tsquery or to_tsquery: it reads its
    # text as words only, so no input reaches an operator parser that could
    # refuse it. Phrase, not plain, even for one word: "state-of-the-art" makes
    # several lexemes, and websearch too requires them side by side.
    def term_query(term: SearchTerm) -> SearchQuery:
        tsquery = SearchQuery(term.text, search_type="phrase", config=SEARCH_CONFIG)
        return ~tsquery if term.excluded else tsquery

    return reduce(operator.or_, (reduce(operator.and_, map(term_query, terms)) for terms in alternatives))


def substring_condition(alternatives: list[list[SearchTerm]]) -> Q:
    # Without PostgreSQL a term matches as a substring of the title, excerpt or body.
    def term_condition(term: SearchTerm) -> Q:
        matches = Q(title__icontains=term.text) | Q(excerpt__icontains=term.text) | Q(body__icontains=term.text)
        return ~matches if term.excluded else matches

    return reduce(operator.or_, (reduce(operator.and_, map(term_condition, terms)) for terms in alternatives))


class SearchView(ArticlePaginationMixin, ListView):
    template_name = "articles/search.html"

    def get_queryset(self) -> ArticleQuerySet:
        self.search_query = clean_search_query(self.request.GET.get("q", ""))
        if not self.search_query:
            return Article.objects.none()
        return search_articles(Article.objects.published().for_listing(), self.search_query)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            search_query=self.search_query, matching_tags=matching_tags(self.search_query), **kwargs
        )


def matching_tags(query: str) -> list[Tag]:
    """Tags in use whose name holds the query (at most TAGS_SHOWN), offered above the results.

    Apart from the articles' full-text search, so that its index keeps answering alone.
    """
    if not query:
        return []
    return list(Tag.objects.in_use().filter(name__icontains=query)[:TAGS_SHOWN])
