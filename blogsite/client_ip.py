"""The address a request came from, for rate limits and login throttling.

gunicorn is the first hop under `make serve` (no proxy in front), so
REMOTE_ADDR is the client. Behind proxies, X-Forwarded-For is trusted only as
far as the ``TRUSTED_PROXIES`` setting says: each proxy appends the address it
saw, so the client is the Nth entry from the right; anything to its left was
written by the client and proves nothing.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote  # the request did not come through every proxy: its sender is the one we see
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
