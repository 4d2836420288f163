"""A crafted session cookie is no session, never an error page (blogsite/sessions.py)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["abcdefgh\x00ijklmnop", "ABCDEFGHIJKLMNOP", "abc'; DROP TABLE x;--"])
def test_a_malformed_session_cookie_is_treated_as_signed_out(client, key):
    # On PostgreSQL a NUL in the lookup was a DataError: a 500 on every page.
    client.cookies["sessionid"] = key
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 200


def test_a_real_session_still_signs_in(client, author):
    client.force_login(author.user)
    assert client.get(reverse("dashboard")).status_code == 200
