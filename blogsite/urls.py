from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from articles.sitemaps import SITEMAPS

from . import views

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
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="django.contrib.sitemaps.views.sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]

handler403 = "blogsite.views.permission_denied"
handler404 = "blogsite.views.page_not_found"
handler500 = "blogsite.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
