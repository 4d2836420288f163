"""robots.txt, the error pages (400, 403, CSRF failure, 404, 500) and the layout's account menu."""

import io
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template import loader
from django.test import Client, RequestFactory, override_settings
from django.urls import path, reverse
from django.views import csrf
from django.views.defaults import bad_request

from blogsite import views
from blogsite.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


def forbidden(request):
    raise PermissionDenied


def broken(request):
    raise RuntimeError("a bug")


def suspicious(request):
    raise SuspiciousOperation("a tampered request")


# Used by @pytest.mark.urls below: the site's URLs plus three that fail on purpose.
urlpatterns = [
    path("test-forbidden/", forbidden),
    path("test-broken/", broken),
    path("test-suspicious/", suspicious),
    *site_urlpatterns,
]
handler403 = "blogsite.views.permission_denied"
handler404 = "blogsite.views.page_not_found"
handler500 = "blogsite.views.server_error"


@pytest.mark.django_db
def test_every_page_names_the_site_icon_and_the_icon_is_served(client):
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    found = finders.find(icon.removeprefix(django_settings.STATIC_URL))
    assert found is not None and Path(found).read_text().startswith("<svg")


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


@pytest.mark.urls(__name__)
@override_settings(DEBUG=False)
def test_a_500_is_logged_as_an_error_with_its_traceback_and_path(client, caplog):
    client.raise_request_exception = False
    assert client.get("/test-broken/").status_code == 500

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Internal Server Error: /test-broken/"
    assert record.exc_info[0] is RuntimeError and str(record.exc_info[1]) == "a bug"


@override_settings(DEBUG=False)
def test_the_500_log_goes_to_the_console_handler_with_its_traceback(client, monkeypatch):
    # Django's default handlers are filtered on DEBUG: this one is not. (The
    # others on the logger are pytest's, subclasses of StreamHandler.)
    (console,) = [h for h in logging.getLogger("django.request").handlers if type(h) is logging.StreamHandler]
    assert not console.filters
    monkeypatch.setattr(console, "stream", io.StringIO())
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF=__name__):
        client.get("/test-broken/")
    output = console.stream.getvalue()
    assert output.startswith("Internal Server Error: /test-broken/\nTraceback (most recent call last):")
    assert output.rstrip().endswith("RuntimeError: a bug")


def test_the_500_handler_needs_no_database_and_no_context(django_assert_num_queries):
    request = RequestFactory().get("/")  # no user, no session: middleware may be what failed
    with django_assert_num_queries(0):
        response = views.server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_a_form_posted_without_a_valid_csrf_token_shows_the_friendly_expired_form_page(reader):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": reader.username, "password": "whatever"})
    assert response.status_code == 403
    assert response.templates[0].name == "403_csrf.html"
    page = response.content.decode()
    assert "This form expired" in page
    assert "Back button" in page
    assert "CSRF verification failed" not in page  # not Django's plain page
    assert 'href="/"' in page


def test_the_csrf_failure_page_renders_for_a_bare_request_without_queries(django_assert_num_queries):
    # No session, no user, no middleware at all: the page must still render, not raise.
    with django_assert_num_queries(0):
        response = csrf.csrf_failure(RequestFactory().post("/accounts/login/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert "This form expired" in response.content.decode()


def test_a_disallowed_host_is_a_friendly_400(client, settings):
    settings.DEBUG = False
    response = client.get("/", headers={"host": "attacker.example"})
    assert response.status_code == 400
    assert response.templates[0].name == "400.html"
    page = response.content.decode()
    assert "We couldn’t make sense of that request" in page
    assert 'href="/"' in page


@pytest.mark.urls(__name__)
def test_a_suspicious_operation_is_a_friendly_400_in_the_site_layout(client, settings, reader):
    settings.DEBUG = False
    client.force_login(reader)
    response = client.get("/test-suspicious/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "We couldn’t make sense of that request" in page
    assert "a tampered request" not in page  # the exception's message is not shown
    assert reader.username in page  # the usual navigation, signed in


def test_the_400_page_renders_without_a_request_context_or_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = bad_request(RequestFactory().get("/"), SuspiciousOperation())
    assert response.status_code == 400
    assert "We couldn’t make sense of that request" in response.content.decode()


@pytest.mark.parametrize("template_name", ["400.html", "403_csrf.html"])
def test_the_400_and_csrf_pages_render_with_no_request_at_all(template_name):
    assert "Go to the home page" in loader.render_to_string(template_name)


def test_the_account_menu_links_profile_and_password_change(client, reader):
    client.force_login(reader)
    page = client.get("/").content.decode()
    assert f'href="{reverse("profile_edit")}"' in page
    assert f'href="{reverse("password_change")}"' in page
    assert "Log out" in page


def test_the_profile_page_links_password_change(client, reader):
    client.force_login(reader)
    page = client.get(reverse("profile_edit")).content.decode()
    assert page.count(f'href="{reverse("password_change")}"') == 2  # the menu and the page itself


def test_the_theme_toggle_has_a_fixed_name_and_a_pressed_state(client):
    page = client.get("/").content.decode()
    start = page.index('id="theme-toggle"')
    button = page[page.rindex("<button", 0, start) : page.index("</button>", start)]
    assert 'aria-pressed="false"' in button  # theme.js sets it to the actual mode
    assert "Dark mode" in button
    assert "Light mode" not in page
