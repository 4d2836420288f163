"""Site-wide pages: robots.txt, uploads served in development and the friendly error pages."""

from __future__ import annotations

import errno

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve

# Pages for signed-in people or staff: nothing a search engine should index.
DISALLOWED_PATHS = ("/admin/", "/accounts/", "/dashboard/", "/write/")


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap_url = request.build_absolute_uri(reverse("django.contrib.sitemaps.views.sitemap"))
    lines = [
        "User-agent: *",
        "Allow: /",
        *(f"Disallow: {path}" for path in DISALLOWED_PATHS),
        "",
        f"Sitemap: {sitemap_url}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """An upload, served by Django itself (SERVE_MEDIA): a name the filesystem refuses is a 404.

    Django's ``serve`` asks the filesystem about the name as sent, and a name
    longer than it takes fails with ENAMETOOLONG instead of "no such file".
    """
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except OSError as error:
        if error.errno != errno.ENAMETOOLONG:
            raise
        raise Http404("No such file.") from error


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    body = loader.render_to_string("403.html", {"request_path": request.path}, request)
    return HttpResponseForbidden(body)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    body = loader.render_to_string("404.html", {"request_path": request.path}, request)
    return HttpResponseNotFound(body)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke (the database, a context processor,
    # the session) must not break the page that says so.
    return HttpResponseServerError(loader.render_to_string("500.html"))
