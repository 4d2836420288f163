"""The signed-in user found by compiled SQL (blogsite/auth_backends.py), as Django's ModelBackend finds it."""

import threading
from unittest import mock

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from blogsite.auth_backends import DJANGOS_BACKEND, THIS_BACKEND, PreparedModelBackend, users_by_key
from blogsite.prepared_lookups import CompiledLookup
from tests.test_sessions import cached_sessions  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def field_values(user) -> dict:
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


def stored_session(client: Client) -> dict:
    # The row as written, not as the session store reads it.
    return Session.objects.get(session_key=client.cookies["sessionid"].value).get_decoded()


def is_signed_in(client: Client) -> bool:
    response = client.get(reverse("dashboard"))
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_the_user_comes_back_as_djangos_backend_builds_it(author):
    found = PreparedModelBackend().get_user(author.user_id)
    assert field_values(found) == field_values(ModelBackend().get_user(author.user_id))
    assert (found._state.db, found._state.adding) == ("default", False)


def test_each_signed_in_request_runs_the_users_sql_compiled_once(client, author):
    client.force_login(author.user)
    lookup = users_by_key()
    with (
        mock.patch.object(lookup, "compile", wraps=lookup.compile) as compile,
        mock.patch(
            "blogsite.prepared_lookups.CompiledLookup.rows", autospec=True, side_effect=CompiledLookup.rows
        ) as rows,
    ):
        lookup._per_thread = threading.local()  # as a new worker starts
        assert is_signed_in(client) and is_signed_in(client) and is_signed_in(client)
    assert compile.call_count == 1
    assert [call.args[1] for call in rows.call_args_list] == [author.user_id] * 3


def test_signing_in_names_this_backend_in_the_session(client, author):
    response = client.post(
        reverse("login"), {"username": author.user.username, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert stored_session(client)[BACKEND_SESSION_KEY] == THIS_BACKEND
    assert is_signed_in(client)


def test_a_deactivated_user_is_signed_out_at_their_next_request(client, author):
    client.force_login(author.user)
    assert is_signed_in(client)
    get_user_model().objects.filter(pk=author.user_id).update(is_active=False)
    assert not is_signed_in(client)


def test_a_deleted_user_is_signed_out(client, reader):
    client.force_login(reader)
    get_user_model().objects.filter(pk=reader.pk).delete()
    assert not is_signed_in(client)


def test_a_password_changed_elsewhere_signs_the_other_sessions_out(client, author):
    client.force_login(author.user)
    author.user.set_password("a new one")
    author.user.save()
    assert not is_signed_in(client)


def sign_in_with_djangos_backend(client: Client, user) -> None:
    client.force_login(user, backend=DJANGOS_BACKEND)
    assert stored_session(client)[BACKEND_SESSION_KEY] == DJANGOS_BACKEND


def test_a_session_signed_in_by_djangos_backend_stays_signed_in(client, author):
    sign_in_with_djangos_backend(client, author.user)
    assert is_signed_in(client)


def test_a_session_signed_in_by_djangos_backend_stays_signed_in_read_from_redis(cached_sessions, client, author):  # noqa: F811
    sign_in_with_djangos_backend(client, author.user)
    assert is_signed_in(client)


def test_a_session_signed_in_by_djangos_backend_is_still_checked(client, author):
    sign_in_with_djangos_backend(client, author.user)
    get_user_model().objects.filter(pk=author.user_id).update(is_active=False)
    assert not is_signed_in(client)


def test_a_key_beyond_any_database_integer_finds_nobody():
    assert PreparedModelBackend().get_user(2**70) is None
    assert PreparedModelBackend().get_user(-(2**70)) is None


@pytest.mark.parametrize("value", ["1", True, None, 1.0])
def test_the_users_lookup_takes_only_an_int(value):
    with pytest.raises(TypeError):
        users_by_key().get(value)
