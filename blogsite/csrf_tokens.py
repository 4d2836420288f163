"""A reader's CSRF token, as Django makes it, from one read of the OS's randomness instead of 64.

Django's ``get_token`` draws every character of a new reader's secret, and of
the mask each response's token gets, with its own ``secrets.choice``: 64
calls into ``SystemRandom`` for a reader without a CSRF cookie, 229 µs on this
machine, a third of what ``/healthz`` costs in the process, and most of what a
cached article page adds to a cached list page (docs/benchmarks.md). Here
both strings come from ``os.urandom`` a few dozen bytes at a time.

Only the randomness is ours: the format is Django's (``CSRF_ALLOWED_CHARS``,
a 32-character secret, a 64-character token of mask and cipher that
``_unmask_cipher_token`` reads back), the request is marked as
``get_token`` marks it, and ``CsrfViewMiddleware`` sets the cookie and checks
the form exactly as for any other token (tests/test_csrf_tokens.py).
"""

from __future__ import annotations

import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_ALPHABET = CSRF_ALLOWED_CHARS
_INDEX = {character: index for index, character in enumerate(_ALPHABET)}
# Bytes at or above 248 (4 × 62) are dropped: taken modulo 62 they would make
# the first eight characters likelier than the others.
_UNBIASED_BELOW = 256 - 256 % len(_ALPHABET)


def random_csrf_string(length: int = CSRF_SECRET_LENGTH) -> str:
    """``length`` characters of ``CSRF_ALLOWED_CHARS``, each equally likely."""
    characters: list[str] = []
    while len(characters) < length:
        # 3 % of bytes are dropped: a few spare make a second read rare.
        characters += [_ALPHABET[byte % len(_ALPHABET)] for byte in os.urandom(length + 8) if byte < _UNBIASED_BELOW]
    return "".join(characters[:length])


def get_token(request: HttpRequest) -> str:
    """What ``django.middleware.csrf.get_token`` returns and marks, made faster.

    The reader's secret (from their cookie, read by CsrfViewMiddleware's
    ``process_request``, or a new one) masked afresh for this response, and
    the request marked so that ``process_response`` sets the cookie.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = random_csrf_string()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = random_csrf_string()
    cipher = "".join(_ALPHABET[(_INDEX[s] + _INDEX[m]) % len(_ALPHABET)] for s, m in zip(secret, mask, strict=True))
    return mask + cipher
