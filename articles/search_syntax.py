"""The search box's syntax, read in Python: words, "quoted phrases", -exclusions and ``or``.

It is the syntax of PostgreSQL's ``websearch_to_tsquery``, but that function
is never handed what a reader typed: its operator parser refuses some input
with an error instead of a query (33 dashes in a row overflow its operator
stack: "tsquery stack too small"). Read here, the query becomes a bounded
number of terms, each passed on as plain text that no parser interprets as
an operator, so no input can make the database refuse the search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# More terms than anyone types; bounds the size of the SQL a request can ask for.
MAX_TERMS = 8

# A run of dashes, then a "phrase" (its closing quote optional, as in
# websearch) or a word, which ends at a space or a quote.
_TOKEN = re.compile(r'(?P<minus>-*)(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')


@dataclass(frozen=True)
class SearchTerm:
    text: str
    excluded: bool = False


def parse_search_query(query: str) -> list[list[SearchTerm]]:
    """``query`` as alternatives (split by ``or``), each a list of terms that must all match.

    A term is a word or a phrase, excluded when a dash touches it. What
    carries no letter or digit (a lone dash, empty quotes, an ``or`` with
    nothing on one side) is dropped, and terms past MAX_TERMS are ignored.
    """
    alternatives: list[list[SearchTerm]] = [[]]
    kept = 0
    for token in _TOKEN.finditer(query):
        minus, phrase, word = token["minus"], token["phrase"], token["word"]
        if word is not None and not minus and word.lower() == "or":
            alternatives.append([])
            continue
        text = " ".join((phrase if phrase is not None else word.lstrip("-")).split())
        # Punctuation alone makes no lexeme for PostgreSQL's text parser, so it
        # matches nothing there; it is no term on any database.
        if not any(character.isalnum() for character in text) or kept == MAX_TERMS:
            continue
        # "--word" reads as an exclusion too, not as a double negation.
        alternatives[-1].append(SearchTerm(text, excluded=bool(minus)))
        kept += 1
    return [terms for terms in alternatives if terms]
