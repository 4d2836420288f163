"""Real processes, a real mail server and a real database, for the fault tests.

The site's processes run as the Procfile runs them (``manage.py run_worker``,
gunicorn), against the test database, which the tests use with real commits
(``transactional_db``) so that every process sees the same rows. Mail goes
over SMTP to an aiosmtpd server in the test process that records each
message's Message-ID: blogsite derives it from the email's idempotency key,
so a message sent twice shows up as the same id twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str,
    every: float = 0.1,
    explain: Callable[[], str] | None = None,
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"Not within {timeout:g} s: {what}" + (f"\n{explain()}" if explain else ""))


def queue_report(*processes: SiteProcess) -> str:
    """What the queue and the processes say, for a test that waited in vain."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT task_name, status, attempts, count(*) FROM procrastinate_jobs GROUP BY 1, 2, 3")
        jobs = cursor.fetchall()
        cursor.execute("SELECT job_id, error FROM blogsite_taskfailure ORDER BY id DESC LIMIT 10")
        failures = cursor.fetchall()
    logs = "\n".join(f"--- {p.name} (alive: {p.alive()}) ---\n{p.output()[-6000:]}" for p in processes)
    return f"jobs: {jobs}\nnewest failures: {failures}\n{logs}"


# --- The mail server -------------------------------------------------------------


class MailSink:
    """An SMTP server that accepts everything, optionally slowly, and remembers what it accepted.

    ``hold_after=N`` accepts N messages, then keeps every later one waiting
    for its answer until ``release()``; a held message is then refused with a
    451 (try again later), never recorded. A sender killed while it waits has
    not had the message accepted, as with a real server mid-transfer.
    """

    def __init__(self, port: int | None = None, *, seconds_per_message: float = 0.0, hold_after: int | None = None):
        self.port = port or free_port()
        self.seconds_per_message = seconds_per_message
        self.hold_after = hold_after
        self.accepted: list[tuple[str, str]] = []  # (Message-ID, recipient), in order
        self.waiting = 0
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._controller.stop()

    def release(self) -> None:
        self._released.set()

    async def handle_DATA(self, server, session, envelope) -> str:
        # asyncio.sleep, not time.sleep: other senders' connections go on meanwhile.
        await asyncio.sleep(self.seconds_per_message)
        if self.hold_after is not None and self.count() >= self.hold_after and not self._released.is_set():
            self.waiting += 1
            while not self._released.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        message = message_from_bytes(envelope.original_content)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.accepted.append((message["Message-ID"], recipient))
        return "250 OK"

    def ids(self) -> Counter[str]:
        with self._lock:
            return Counter(message_id for message_id, _ in self.accepted)

    def count(self) -> int:
        with self._lock:
            return len(self.accepted)


# --- The site's processes --------------------------------------------------------


def site_environment(*, smtp_port: int, **overrides: str) -> dict[str, str]:
    """The environment `make serve` gives its processes, on the test database and fast clocks."""
    db = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "VIEW_BUFFER_URL"}}
    env.update(
        DATABASE_URL=f"postgres://{db['USER'] or 'root'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        TASK_QUEUE="procrastinate",
        DEBUG="0",
        SECRET_KEY="fault-tests-only-" + "x" * 40,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        CONN_MAX_AGE="60",
        # Seconds instead of the defaults' tens of seconds, so a test waits little.
        TASK_HEARTBEAT_SECONDS="0.5",
        TASK_STALLED_AFTER_SECONDS="2",
        TASK_RECOVERY_EVERY_SECONDS="1",
        TASK_RETRY_FIRST_SECONDS="1",
        TASK_RETRY_MAX_SECONDS="1",
        PUBLISH_DUE_EVERY_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


class SiteProcess:
    """One line of the Procfile, started from the project root, its output kept in a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @classmethod
    def worker(cls, name: str, env: dict[str, str], log_dir: Path) -> SiteProcess:
        return cls(name, [PYTHON, "manage.py", "run_worker", "--name", name], env, log_dir)

    @classmethod
    def web(cls, port: int, env: dict[str, str], log_dir: Path) -> SiteProcess:
        # DEBUG off serves static files from collectstatic's manifest, as make serve does.
        env = {**env, "STATIC_ROOT": str(log_dir / "static")}
        collectstatic = [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
        subprocess.run(collectstatic, cwd=REPO_ROOT, env=env, check=True)
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        command = [gunicorn, "blogsite.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        return cls("web", [*command, "--no-control-socket", "--graceful-timeout", "5"], env, log_dir)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a pulled plug does: no clean-up, no goodbye."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")


# --- The database -----------------------------------------------------------------


def terminate_other_backends() -> int:
    """pg_terminate_backend every other connection to the test database, as a failover or an admin would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def job_statuses(task_name: str) -> Counter[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM procrastinate_jobs WHERE task_name = %s GROUP BY status", [task_name]
        )
        return Counter(dict(cursor.fetchall()))
