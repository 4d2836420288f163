"""The search box's syntax, read in Python before any database sees it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from articles.search_syntax import MAX_TERMS, SearchTerm, parse_search_query


def term(text: str, excluded: bool = False) -> SearchTerm:
    return SearchTerm(text, excluded=excluded)


@pytest.mark.parametrize(
    ("query", "alternatives"),
    [
        ("winter gardening", [[term("winter"), term("gardening")]]),
        ('"winter  gardening" tools', [[term("winter gardening"), term("tools")]]),
        ("gardening -summer", [[term("gardening"), term("summer", excluded=True)]]),
        ('bees -"summer hives"', [[term("bees"), term("summer hives", excluded=True)]]),
        ("winter or summer gardening", [[term("winter")], [term("summer"), term("gardening")]]),
        ("winter OR -summer", [[term("winter")], [term("summer", excluded=True)]]),
        ('"unclosed phrase', [[term("unclosed phrase")]]),
        ("state-of-the-art", [[term("state-of-the-art")]]),
        ("-" * 40 + "summer", [[term("summer", excluded=True)]]),
    ],
)
def test_reads_words_phrases_exclusions_and_or(query, alternatives):
    assert parse_search_query(query) == alternatives


@pytest.mark.parametrize("query", ["", "-", "-" * 40, '""', "or", "or or OR", "( ) & | ! <-> :*"])
def test_what_carries_no_word_is_no_search(query):
    assert parse_search_query(query) == []


def test_terms_past_the_limit_are_ignored():
    words = [f"word{number}" for number in range(MAX_TERMS + 5)]
    (terms,) = parse_search_query(" ".join(words))
    assert [t.text for t in terms] == words[:MAX_TERMS]


@given(st.text(max_size=500))
def test_any_text_gives_at_most_the_limit_of_non_empty_terms(query):
    terms = [t for alternative in parse_search_query(query) for t in alternative]
    assert len(terms) <= MAX_TERMS
    assert all(t.text.strip() == t.text and any(c.isalnum() for c in t.text) for t in terms)
