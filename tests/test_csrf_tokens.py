"""The page cache's CSRF tokens are Django's tokens, made with less randomness overhead (blogsite/csrf_tokens.py)."""

from __future__ import annotations

from collections import Counter

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
    CsrfViewMiddleware,
    _unmask_cipher_token,
)
from django.test import RequestFactory

from blogsite.csrf_tokens import get_token, random_csrf_string


def test_a_new_reader_gets_a_secret_and_a_token_django_reads_back_to_it():
    request = HttpRequest()
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == CSRF_SECRET_LENGTH and len(token) == CSRF_TOKEN_LENGTH
    assert set(secret + token) <= set(CSRF_ALLOWED_CHARS)
    assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_a_returning_reader_keeps_their_secret_under_a_fresh_mask():
    request = HttpRequest()
    request.META["CSRF_COOKIE"] = secret = random_csrf_string()
    first, second = get_token(request), get_token(request)
    assert first != second  # masked afresh for every response (BREACH)
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == secret
    assert request.META["CSRF_COOKIE"] == secret


def test_django_sets_the_cookie_and_accepts_the_form_posted_with_the_token():
    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    page = RequestFactory().get("/")
    middleware.process_request(page)
    token = get_token(page)
    response = middleware.process_response(page, HttpResponse())
    cookie = response.cookies["csrftoken"].value
    assert cookie == page.META["CSRF_COOKIE"]
    assert "Cookie" in response["Vary"]

    posted = RequestFactory().post("/", {"csrfmiddlewaretoken": token})
    posted.COOKIES["csrftoken"] = cookie
    middleware.process_request(posted)
    assert middleware.process_view(posted, lambda request: None, (), {}) is None  # accepted
    forged = RequestFactory().post("/", {"csrfmiddlewaretoken": random_csrf_string(CSRF_TOKEN_LENGTH)})
    forged.COOKIES["csrftoken"] = cookie
    middleware.process_request(forged)
    assert middleware.process_view(forged, lambda request: None, (), {}).status_code == 403


def test_every_character_is_equally_likely():
    # 124,000 characters: 2,000 expected of each, a standard deviation of about
    # 44. Bytes taken modulo 62 without dropping 248–255 would give the first
    # eight characters 2,480 each.
    counts = Counter("".join(random_csrf_string(1000) for _ in range(124)))
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert all(1700 < count < 2300 for count in counts.values()), counts.most_common(10)
