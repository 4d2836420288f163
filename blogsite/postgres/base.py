"""Django's PostgreSQL backend, with a health check of kept connections that costs no round trip.

With ``CONN_HEALTH_CHECKS``, Django checks a connection kept from an earlier
request before its first query by running ``SELECT 1``: a round trip to the
server on every request that touches the database, about 8 % of a rendered
listing page (measured in process, A/B: the README's "Serving pages fast"). What it is there to catch is a connection
the server has closed while it sat idle: a restart, an idle timeout, an
administrator's ``pg_terminate_backend``. In each case the server sends its
error message and closes the socket, so the client's socket turns readable,
and an idle connection that is working has nothing to read. This backend asks
the operating system that question instead (a poll with no wait).

A connection is told unusable when anything at all is waiting on it (a
NOTICE, a NOTIFY: none is expected on the site's connections). That costs a
reconnect, never a failed request. A server that vanished without closing
the socket (a cut network) is not caught by either check before the query
runs into it. After a query has failed, Django still decides with its own
``SELECT 1`` (``is_usable``) whether to keep the connection.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        # Django's own, but for the check itself.
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.is_open_and_quiet():
            self.close()
        self.health_check_done = True

    def is_open_and_quiet(self) -> bool:
        """Whether the kept connection is open and has nothing from the server waiting on it."""
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
