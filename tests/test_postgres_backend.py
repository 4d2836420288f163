"""The health check of kept connections (blogsite/postgres/base.py): no round trip, same verdicts.

PostgreSQL only, against the real server: each test opens a connection of its
own, kept as a gunicorn worker keeps one between requests.
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.usefixtures("on_postgres")


@pytest.fixture
def kept_connection() -> Iterator:
    """A second connection to the test database, checked as at the start of every request."""
    wrapper = type(connections["default"])({**connection.settings_dict, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True})
    try:
        yield wrapper
    finally:
        wrapper.close()


def backend_pid(wrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def next_request_checks(wrapper) -> None:
    # What close_if_unusable_or_obsolete() does when a request ends, minus the age check.
    wrapper.health_check_done = False
    wrapper.close_if_health_check_failed()


def last_statement_of(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_a_working_kept_connection_is_kept_and_sent_nothing(kept_connection):
    pid = backend_pid(kept_connection)
    with kept_connection.cursor() as cursor:
        cursor.execute("SELECT 'the last request'")
    next_request_checks(kept_connection)
    # Django's own check would have sent SELECT 1 and become the backend's last statement.
    assert last_statement_of(pid) == "SELECT 'the last request'"
    assert backend_pid(kept_connection) == pid


def test_a_kept_connection_the_server_closed_is_replaced_before_the_query(kept_connection):
    pid = backend_pid(kept_connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The backend exits on its own time: wait until its goodbye has reached the socket.
    deadline = time.monotonic() + 10
    while not select.select([kept_connection.connection.fileno()], [], [], 0.1)[0]:
        assert time.monotonic() < deadline, "the terminated backend never closed its socket"
    next_request_checks(kept_connection)
    # Without a check this query would fail: "terminating connection due to administrator command".
    assert backend_pid(kept_connection) != pid
