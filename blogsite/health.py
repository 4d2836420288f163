"""A liveness probe: proof that a server process answers, and the load benchmark's baseline."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    # No database, no cache, no template: what every page costs before its own work.
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
