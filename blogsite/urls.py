from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

from articles.sitemaps import SITEMAPS

from . import health, views
from .page_cache import cache_public_page

admin.site.site_header = "blogsite moderation"
admin.site.site_title = "blogsite admin"
# Moderators work in long lists; the app sidebar would squeeze their columns.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("authors.account_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("authors.urls")),
    path("", include("comments.urls")),
    path("", include("articles.urls")),
    path("", include("autosaves.urls")),
    path(
        "sitemap.xml", cache_public_page(sitemap), {"sitemaps": SITEMAPS}, name="django.contrib.sitemaps.views.sitemap"
    ),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", health.healthz, name="healthz"),
]

handler403 = "blogsite.views.permission_denied"
handler404 = "blogsite.views.page_not_found"
handler500 = "blogsite.views.server_error"

if settings.SERVE_MEDIA:
    # Uploads served by Django itself: `runserver` and `make serve` on 127.0.0.1
    # only. A public deployment serves media/ from its web server instead.
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", views.serve_media),
    ]
