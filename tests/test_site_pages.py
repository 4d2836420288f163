"""robots.txt and the error pages (403, 404, 500)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import path

from blogsite import views
from blogsite.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a bug")


# Used by @pytest.mark.urls below: the site's URLs plus two that fail on purpose.
urlpatterns = [path("test-forbidden/", forbidden), path("test-broken/", broken), *site_urlpatterns]
handler403 = "blogsite.views.permission_denied"
handler404 = "blogsite.views.page_not_found"
handler500 = "blogsite.views.server_error"


def test_robots_txt_allows_all_but_private_areas_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    for path_ in ("/admin/", "/accounts/", "/dashboard/", "/write/"):
        assert f"Disallow: {path_}" in lines
    assert lines[-1] == "Sitemap: http://testserver/sitemap.xml"


def test_robots_txt_uses_the_host_and_scheme_of_the_request(client, settings):
    settings.ALLOWED_HOSTS = ["blog.example.com"]
    response = client.get("/robots.txt", headers={"host": "blog.example.com"}, secure=True)
    assert response.content.decode().splitlines()[-1] == "Sitemap: https://blog.example.com/sitemap.xml"


def test_robots_txt_refuses_post(client):
    assert client.post("/robots.txt").status_code == 405


@pytest.mark.parametrize("url", ["/no-such-page/", "/articles/no-such-article/", "/authors/nobody/"])
def test_a_missing_page_is_a_friendly_404_with_a_link_home(client, settings, url):
    settings.DEBUG = False
    response = client.get(url)
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    page = response.content.decode()
    assert "We can’t find that page" in page
    assert 'href="/"' in page
    assert 'action="/search/"' in page


@pytest.mark.urls(__name__)
def test_permission_denied_renders_the_403_page(client, reader):
    client.force_login(reader)
    response = client.get("/test-forbidden/")
    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    assert "You can’t do that here" in response.content.decode()


@pytest.mark.urls(__name__)
def test_an_unhandled_error_renders_the_standalone_500_page(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    response = client.get("/test-broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert '<a href="/">' in page


def test_the_500_handler_needs_no_database_and_no_context(django_assert_num_queries):
    request = RequestFactory().get("/")  # no user, no session: middleware may be what failed
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
