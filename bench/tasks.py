# Django models can be imported only after django.setup(), which must come after the environment is set.
# ruff: noqa: E402
"""Email through the procrastinate queue: latency, throughput and recovery, against sending in process.

Run from the repository root::

    .venv/bin/python bench/tasks.py [--samples 100] [--batch 500] [--rounds 3] [--recovery-batch 40] [--no-recovery]

The parent process creates a throwaway PostgreSQL database, runs this script
again in a child process (``--measure-into``) whose ``DATABASE_URL`` names it,
drops the database, prints the tables and rewrites its own section of
``docs/benchmarks.md``. The child migrates the database, starts an SMTP server
of its own (aiosmtpd, in a thread; about 30 lines copied from the fault tests'
harness, which would bring pytest along) that notes when it accepts each message, by
Message-ID, and real task workers (``manage.py run_worker``, as the Procfile
runs them, with the environment of ``make serve`` and the default TASK_*
settings), then measures the email a signed-in reader's comment sends its article's author:

1. latency, from the COMMIT of the comment to the mail server's acceptance of
   its email, through one worker woken by LISTEN/NOTIFY, against the same
   email sent in this process right after the COMMIT (what ``make run`` does),
   the two interleaved, one comment at a time;
2. throughput, a batch of comments committed at once and drained by one worker
   and by two, against the same number sent one by one in this process, in
   rounds that alternate the order, with the CPU each group of processes used;
3. recovery, a worker SIGKILLed in the middle of a batch while a second one
   runs: how long until the killed worker's emails go out, against the bound
   the settings give (TASK_STALLED_AFTER_SECONDS + TASK_RECOVERY_EVERY_SECONDS).

Figures, never assertions about speed: it fails only when an email goes wrong
(missing, sent twice, a message nobody expected, a job that did not succeed).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import logging
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on sys.path, not the project.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import SMOKE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


os.environ["DJANGO_SETTINGS_MODULE"] = "blogsite.settings"
# Whatever the shell says about the queue, the cache and mail, the workers
# started here run with the defaults (heartbeat, stalled-after, recovery
# period, concurrency): those are the figures the README states.
for _name in [name for name in os.environ if name.startswith(("TASK_", "EMAIL_"))]:
    del os.environ[_name]
for _name in ("REDIS_URL", "VIEW_BUFFER_URL", "PUBLISH_DUE_EVERY_SECONDS", "FLUSH_VIEWS_EVERY_SECONDS"):
    os.environ.pop(_name, None)
if SMOKE:
    # A smoke run (BENCH_SMOKE=1) keeps no figure: a killed worker's jobs come
    # back within seconds (5 + 2) rather than the defaults' 30.
    os.environ.update(TASK_HEARTBEAT_SECONDS="1", TASK_STALLED_AFTER_SECONDS="5", TASK_RECOVERY_EVERY_SECONDS="2")
# The rest of what scripts/serve.sh gives its processes; this process and its
# workers send over SMTP to the mail sink of this process, on a port of its own.
os.environ.update(
    DEBUG="0",
    SECRET_KEY="bench-tasks-only-" + "x" * 40,
    CONN_MAX_AGE="60",
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    EMAIL_HOST="127.0.0.1",
    EMAIL_PORT=str(free_port()),
    EMAIL_TIMEOUT="10",
)

import django

django.setup()

from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from articles.models import Article
from bench.common import (
    MeasurementFailed,
    command_line,
    markdown_table,
    measure_in_throwaway_database,
    reflowed,
    section_markers,
    write_section,
)
from blogsite.effects import effects_discarded
from blogsite.emails import message_id
from blogsite.models import EmailDelivery
from comments.services import add_comment

SECTION_START, SECTION_END = section_markers(__file__)
COMMENT_TASK = "comments.tasks.notify_author_of_comment"
AUTHOR_EMAIL = "author@example.com"

DEFAULT_SAMPLES = 100
DEFAULT_BATCH = 500
DEFAULT_ROUNDS = 3
DEFAULT_RECOVERY_BATCH = 40
WARM_UP_SAMPLES = 5
# Accepted in the recovery batch before the mail server holds every message, so the kill lands mid-batch.
ACCEPTED_BEFORE_KILL = 10
if SMOKE:
    # Each measurement once, on the fewest emails it can run with.
    DEFAULT_SAMPLES, DEFAULT_BATCH, DEFAULT_ROUNDS, WARM_UP_SAMPLES = 2, 10, 1, 1
    DEFAULT_RECOVERY_BATCH = ACCEPTED_BEFORE_KILL + 4 * settings.PROCRASTINATE_WORKER_DEFAULTS["concurrency"]
THROUGHPUT_ORDER = ("in_process", "one_worker", "two_workers")
# Between two latency samples: each comment finds the worker idle, its previous job finished.
SAMPLE_GAP_SECONDS = 0.1
# Room for a late copy of a message to arrive before a run is checked.
SETTLE_SECONDS = 1.0
STARTUP_TIMEOUT = 60


# --------------------------------------------------------------------------
# The mail server
# --------------------------------------------------------------------------


class MailSink:
    """An SMTP server in this process that accepts everything and notes when, by Message-ID.

    ``hold_from(n)``: once ``n`` messages are accepted, every later one waits
    for its answer until ``release()``, then is accepted. A sender killed
    while it waits closes its connection, and aiosmtpd cancels the handler:
    that message was never accepted, as with a real server mid-transfer.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.accepted: list[tuple[str, float]] = []  # (Message-ID, perf_counter() at acceptance), in order
        self.waiting = 0
        self._hold_from: int | None = None
        self._released = threading.Event()
        self._changed = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._controller.stop()

    def hold_from(self, count: int) -> None:
        self._released.clear()
        self._hold_from = count

    def release(self) -> None:
        self._hold_from = None
        self._released.set()

    async def handle_DATA(self, server, session, envelope) -> str:
        if self._hold_from is not None and self.count() >= self._hold_from:
            self._add_waiting(+1)
            try:
                while not self._released.is_set():
                    await asyncio.sleep(0.01)
            finally:
                self._add_waiting(-1)
        # The whole message is in: the 250 that follows is the acceptance.
        accepted_at = time.perf_counter()
        headers = BytesHeaderParser().parsebytes(envelope.original_content)
        with self._changed:
            self.accepted.extend((headers["Message-ID"], accepted_at) for _ in envelope.rcpt_tos)
            self._changed.notify_all()
        return "250 OK"

    def _add_waiting(self, step: int) -> None:
        with self._changed:
            self.waiting += step
            self._changed.notify_all()

    def count(self) -> int:
        with self._changed:
            return len(self.accepted)

    def since(self, start: int) -> list[tuple[str, float]]:
        with self._changed:
            return self.accepted[start:]

    def wait_for(self, message_ids: list[str], *, timeout: float, what: str) -> dict[str, float]:
        """When each of ``message_ids`` was first accepted, once all of them are."""
        wanted = set(message_ids)
        first: dict[str, float] = {}
        seen = 0  # each wake-up reads only what arrived since the last one
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for accepted_id, at in self.accepted[seen:]:
                    if accepted_id in wanted:
                        first.setdefault(accepted_id, at)
                seen = len(self.accepted)
                if len(first) == len(wanted):
                    return first
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = len(wanted) - len(first)
                    raise MeasurementFailed(f"{what}: {missing} email(s) not accepted in {timeout:g} s")
                self._changed.wait(left)

    def wait_until_waiting(self, count: int, *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.waiting != count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MeasurementFailed(f"{what}: {self.waiting} message(s) held, not {count}, after {timeout:g} s")
                self._changed.wait(left)


def check_each_once(sink: MailSink, start: int, expected: list[str], what: str) -> dict[str, int]:
    """Everything accepted since ``start`` is ``expected``, each exactly once; or the run fails."""
    time.sleep(SETTLE_SECONDS)
    arrived = Counter(accepted_id for accepted_id, _ in sink.since(start))
    missing = set(expected) - arrived.keys()
    unexpected = arrived.keys() - set(expected)
    doubled = sorted(accepted_id for accepted_id, copies in arrived.items() if copies > 1)
    if missing or unexpected or doubled:
        raise MeasurementFailed(
            f"{what}: {len(missing)} missing, {len(unexpected)} unexpected, {len(doubled)} sent more than once "
            f"(e.g. {doubled[:3]}) among {sum(arrived.values())} accepted"
        )
    return {"accepted": sum(arrived.values()), "distinct": len(arrived), "duplicates": 0}


# --------------------------------------------------------------------------
# The task workers
# --------------------------------------------------------------------------


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise MeasurementFailed(f"Not within {timeout:g} s: {what}")


def registered_worker_ids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM procrastinate_workers")
        return {row[0] for row in cursor.fetchall()}


@dataclass
class Worker:
    """One ``manage.py run_worker`` process, and the id procrastinate registered it under."""

    name: str
    process: subprocess.Popen
    log_path: Path
    worker_id: int = 0

    @classmethod
    def start(cls, name: str, log_dir: Path) -> Worker:
        before = registered_worker_ids()
        log_path = log_dir / f"{name}.log"
        env = {**os.environ, "TASK_QUEUE": "procrastinate", "PYTHONUNBUFFERED": "1"}
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--name", name],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a SIGKILL reaches all of it
            )
        worker = cls(name, process, log_path)
        # Started one at a time, so the one new row is this worker's.
        (worker.worker_id,) = wait_until(
            lambda: worker.check_alive() and registered_worker_ids() - before,
            timeout=STARTUP_TIMEOUT,
            what=f"worker {name} registered",
        )
        return worker

    def check_alive(self) -> bool:
        if self.process.poll() is None:
            return True
        raise MeasurementFailed(f"worker {self.name} exited with {self.process.returncode}:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL, as the OOM killer does: no clean-up, no goodbye, its jobs left "doing"."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Workers:
    """The worker processes of the run: the first one for good, a second one started and stopped as needed."""

    def __init__(self, log_dir: Path, stack: ExitStack) -> None:
        self.log_dir = log_dir
        self.stack = stack
        self.started: list[Worker] = []
        self.second: Worker | None = None

    def start(self, name: str) -> Worker:
        worker = Worker.start(name, self.log_dir)
        self.started.append(worker)
        self.stack.callback(worker.stop)
        return worker

    def run(self, count: int) -> Worker | None:
        """One worker running, or two; the second one, if any."""
        if count == 2 and self.second is None:
            self.second = self.start(f"second-{len(self.started)}")
            time.sleep(1)  # its LISTEN is set up right after it registers
        elif count == 1 and self.second is not None:
            self.second.stop()  # SIGTERM: idle, it stops at once
            self.second = None
        return self.second

    def running(self) -> list[Worker]:
        return [worker for worker in self.started if worker.process.poll() is None]


def job_statuses(comment_ids: list[int]) -> Counter[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM procrastinate_jobs"
            " WHERE task_name = %s AND (args->>'comment_id')::bigint = ANY(%s) GROUP BY status",
            [COMMENT_TASK, comment_ids],
        )
        return Counter(dict(cursor.fetchall()))


def wait_for_jobs_succeeded(comment_ids: list[int], what: str) -> None:
    wait_until(
        lambda: job_statuses(comment_ids) == Counter(succeeded=len(comment_ids)),
        timeout=30,
        what=f"{what}: every job succeeded (now {dict(job_statuses(comment_ids))})",
    )


def comment_jobs() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s", [COMMENT_TASK])
        return cursor.fetchone()[0]


# --------------------------------------------------------------------------
# Comments and their emails
# --------------------------------------------------------------------------


class Comments:
    """A signed-in reader's comments on one published article; each tells its author by email.

    Signed in, so each is approved at once and emailed on its own: a guest's
    waits for the author's next digest of pending comments (comments/digest.py).
    """

    def __init__(self) -> None:
        with effects_discarded():  # the author's and reader's welcome emails are not what is counted here
            user = get_user_model().objects.create_user("bench-author", email=AUTHOR_EMAIL, first_name="Ada")
            self.reader = get_user_model().objects.create_user("bench-reader", email="reader@example.com")
            self.article = Article.objects.create(
                author=user.author, title="Comments welcome", body="Say something.", status=Article.Status.PUBLISHED
            )
        self.written = 0

    def add(
        self, count: int, *, in_process: bool = False, at_commit: Callable[[], None] | None = None
    ) -> tuple[list[int], float]:
        """``count`` comments in one transaction; their ids and the time of its COMMIT.

        ``in_process``: the email is sent the way ``make run`` sends it, by
        the task's function called in this process once COMMIT is done
        (``defer_effect`` with ``TASK_QUEUE=in-process``); otherwise it is a
        procrastinate job deferred in the transaction, as deployed.
        ``at_commit`` runs right after COMMIT, before any email is sent.
        """
        committed_at: list[float] = []

        def committed() -> None:
            committed_at.append(time.perf_counter())
            if at_commit is not None:
                at_commit()

        queue = override_settings(TASK_QUEUE="in-process") if in_process else nullcontext()
        with queue, transaction.atomic():
            # Registered first, so it runs first after COMMIT, before the in-process sends.
            transaction.on_commit(committed)
            ids = [self._add_one().pk for _ in range(count)]
        return ids, committed_at[0]

    def _add_one(self):
        self.written += 1
        n = self.written
        return add_comment(article=self.article, user=self.reader, body=f"Hello {n}")


def email_ids(comment_ids: list[int]) -> list[str]:
    return [message_id(f"comment:{pk}", AUTHOR_EMAIL) for pk in comment_ids]


# --------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------


def one_latency(sink: MailSink, comments: Comments, *, in_process: bool) -> tuple[int, float]:
    """One comment committed alone; its id and the milliseconds from its COMMIT to its email's acceptance."""
    (comment_id,), committed_at = comments.add(1, in_process=in_process)
    (accepted_at,) = sink.wait_for(email_ids([comment_id]), timeout=30, what="latency sample").values()
    time.sleep(SAMPLE_GAP_SECONDS)
    return comment_id, (accepted_at - committed_at) * 1000


def measure_latency(sink: MailSink, comments: Comments, samples: int) -> dict[str, Any]:
    """Queue and in-process samples interleaved, each pair in alternating order, after a few of each unmeasured."""
    start = sink.count()
    jobs_before = comment_jobs()
    milliseconds: dict[str, list[float]] = {"in_process": [], "queue": []}
    ids: dict[str, list[int]] = {"in_process": [], "queue": []}
    for i in range(WARM_UP_SAMPLES + samples):
        order = ("queue", "in_process") if i % 2 == 0 else ("in_process", "queue")
        for path in order:
            comment_id, elapsed = one_latency(sink, comments, in_process=path == "in_process")
            ids[path].append(comment_id)
            if i >= WARM_UP_SAMPLES:
                milliseconds[path].append(elapsed)
    delivery = check_each_once(sink, start, email_ids(ids["queue"] + ids["in_process"]), "latency")
    if comment_jobs() - jobs_before != len(ids["queue"]):
        raise MeasurementFailed("latency: the in-process sends deferred jobs, or the queued ones did not")
    wait_for_jobs_succeeded(ids["queue"], "latency")
    return {"milliseconds": milliseconds, "delivery": delivery}


def measure_throughput(
    sink: MailSink, comments: Comments, workers: Workers, batch: int, *, in_process: bool, label: str
) -> dict[str, Any]:
    """``batch`` comments committed at once; seconds from their COMMIT to the last email's acceptance, and CPU."""
    start = sink.count()
    cpu_before: list[CpuSnapshot] = []
    comment_ids, committed_at = comments.add(
        batch, in_process=in_process, at_commit=lambda: cpu_before.append(CpuSnapshot.take(workers.running()))
    )
    accepted = sink.wait_for(email_ids(comment_ids), timeout=120, what=label)
    cpu = CpuSnapshot.take(workers.running()).since(cpu_before[0])
    seconds = max(accepted.values()) - committed_at
    delivery = check_each_once(sink, start, email_ids(comment_ids), label)
    if not in_process:
        wait_for_jobs_succeeded(comment_ids, label)
    return {
        "label": label,
        "emails": batch,
        "seconds": seconds,
        "per_second": batch / seconds,
        "cpu_seconds": cpu,
        **delivery,
    }


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of a process, all its threads, from /proc/<pid>/stat; 0 where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or on another host (a PostgreSQL server elsewhere)
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the name in brackets may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime and stime, fields 14 and 15


def machine_jiffies() -> tuple[int, int]:
    """(busy, all) CPU time of every core since boot, from /proc/stat; (0, 0) where there is none."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    except OSError:
        return 0, 0
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds so far of the bench process (the mail sink's thread included), each worker, each backend.

    And the whole machine's, whoever used it: on a shared machine, how much of it was left.
    """

    bench: float
    workers: dict[int, float]
    backends: dict[int, float]
    machine: tuple[int, int]

    @classmethod
    def take(cls, workers: list[Worker]) -> CpuSnapshot:
        with connection.cursor() as cursor:
            # Every connection to this database: the bench's, the workers' pools and threads.
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            backends = [pid for (pid,) in cursor.fetchall()]
        return cls(
            bench=time.process_time(),
            workers={worker.process.pid: process_cpu_seconds(worker.process.pid) for worker in workers},
            backends={pid: process_cpu_seconds(pid) for pid in backends},
            machine=machine_jiffies(),
        )

    def since(self, before: CpuSnapshot) -> dict[str, float]:
        def used(now: dict[int, float], then: dict[int, float]) -> float:
            # A backend that connected meanwhile started from 0; one that left took its seconds along (few).
            return sum(seconds - then.get(pid, 0.0) for pid, seconds in now.items())

        busy, every = (now - then for now, then in zip(self.machine, before.machine, strict=True))
        return {
            "bench": self.bench - before.bench,
            "workers": used(self.workers, before.workers),
            "postgres": used(self.backends, before.backends),
            "machine_busy_share": busy / every if every else None,
        }


def doing_jobs(worker_id: int) -> list[tuple[int, int]]:
    """(job id, comment id) of the comment jobs a worker holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, (args->>'comment_id')::bigint FROM procrastinate_jobs"
            " WHERE task_name = %s AND status = 'doing' AND worker_id = %s ORDER BY id",
            [COMMENT_TASK, worker_id],
        )
        return cursor.fetchall()


def seconds_since_heartbeat(worker_id: int) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM clock_timestamp() - last_heartbeat) FROM procrastinate_workers WHERE id = %s",
            [worker_id],
        )
        return float(cursor.fetchone()[0])


def database_clock() -> datetime.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def job_events_after(job_ids: list[int], since: datetime.datetime, event_type: str) -> list[float]:
    """Seconds from ``since`` to the first ``event_type`` of each job after it (the database's clock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT job_id, extract(epoch FROM min(at) - %s) FROM procrastinate_events"
            " WHERE job_id = ANY(%s) AND type = %s AND at > %s GROUP BY job_id",
            [since, job_ids, event_type, since],
        )
        return [float(seconds) for _, seconds in cursor.fetchall()]


def measure_recovery(sink: MailSink, comments: Comments, killed: Worker, survivor: Worker, batch: int) -> dict:
    """SIGKILL ``killed`` while the mail server holds the messages it is sending, mid-batch; time its emails.

    Both workers' job slots are full of held messages at the kill, so the
    killed worker holds exactly ``concurrency`` jobs, none of them accepted
    yet; its heartbeat stops, and the survivor's periodic sweep
    (``blogsite.tasks.recover_stalled_jobs``) must put them back in the queue.
    """
    concurrency = settings.PROCRASTINATE_WORKER_DEFAULTS["concurrency"]
    start = sink.count()
    sink.hold_from(start + ACCEPTED_BEFORE_KILL)
    comment_ids, _ = comments.add(batch)
    sink.wait_until_waiting(2 * concurrency, timeout=30, what="both workers sending")
    orphans = doing_jobs(killed.worker_id)
    if len(orphans) != concurrency:
        raise MeasurementFailed(f"recovery: the worker to kill holds {len(orphans)} jobs, not {concurrency}")
    heartbeat_age = seconds_since_heartbeat(killed.worker_id)
    accepted_before_kill = sink.count() - start
    killed.kill()
    killed_at, killed_at_db = time.perf_counter(), database_clock()
    # Its connections must be seen closed before the release, or its held messages would be accepted.
    sink.wait_until_waiting(concurrency, timeout=10, what="the killed worker's connections closed")
    sink.release()

    orphan_job_ids = [job_id for job_id, _ in orphans]
    orphan_emails = email_ids([comment_id for _, comment_id in orphans])
    accepted = sink.wait_for(orphan_emails, timeout=120, what="recovery: the killed worker's emails")
    sink.wait_for(email_ids(comment_ids), timeout=60, what="recovery: the whole batch")
    delivery = check_each_once(sink, start, email_ids(comment_ids), "recovery")
    wait_for_jobs_succeeded(comment_ids, "recovery")
    requeued = job_events_after(orphan_job_ids, killed_at_db, "deferred_for_retry")
    restarted = job_events_after(orphan_job_ids, killed_at_db, "started")
    if len(requeued) != len(orphans) or len(restarted) != len(orphans):
        raise MeasurementFailed(f"recovery: {len(requeued)} requeued, {len(restarted)} restarted of {len(orphans)}")
    return {
        "emails": batch,
        "accepted_before_kill": accepted_before_kill,
        "orphans": len(orphans),
        "heartbeat_age": heartbeat_age,
        "requeued_after": max(requeued),
        "restarted_after": max(restarted),
        "delivered_after": max(accepted.values()) - killed_at,
        **delivery,
    }


def measure_this_database(args: argparse.Namespace) -> dict[str, Any]:
    """In the child: every measurement on the database ``DATABASE_URL`` names."""
    if settings.TASK_QUEUE != "procrastinate":
        raise MeasurementFailed(f"DATABASE_URL must name PostgreSQL (TASK_QUEUE is {settings.TASK_QUEUE!r})")
    # A line per deferred job would bury the output; the workers log to their own files.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def phase_done(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        phases[name] = now - started
        started = now

    call_command("migrate", verbosity=0)
    comments = Comments()
    result: dict[str, Any] = {}
    with ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-tasks-")))
        sink = MailSink(settings.EMAIL_PORT).start()
        stack.callback(sink.stop)
        workers = Workers(log_dir, stack)
        try:
            first = workers.start("first")
            phase_done("migrate, start a worker")
            result["latency"] = measure_latency(sink, comments, args.samples)
            phase_done("latency")
            result["throughput"] = []
            for round_number in range(args.rounds):
                # ABC, CBA, ABC…: no configuration always runs first, or always right after another.
                order = THROUGHPUT_ORDER if round_number % 2 == 0 else THROUGHPUT_ORDER[::-1]
                for label in order:
                    if label != "in_process":
                        workers.run(2 if label == "two_workers" else 1)
                    run = measure_throughput(
                        sink, comments, workers, args.batch, in_process=label == "in_process", label=label
                    )
                    result["throughput"].append(run)
            phase_done("throughput")
            if args.recovery:
                second = workers.run(2)
                result["recovery"] = measure_recovery(sink, comments, first, second, args.recovery_batch)
                phase_done("recovery")
        except MeasurementFailed:
            for worker in workers.started:
                print(f"--- log of worker {worker.name} (last lines) ---\n{worker.log_tail()}", file=sys.stderr)
            raise
    result["deliveries"] = EmailDelivery.objects.count()
    if result["deliveries"] != comments.written:
        raise MeasurementFailed(f"{result['deliveries']} EmailDelivery rows for {comments.written} comments")
    result["phases"] = phases
    result["settings"] = {
        "concurrency": settings.PROCRASTINATE_WORKER_DEFAULTS["concurrency"],
        "heartbeat": settings.TASK_HEARTBEAT_SECONDS,
        "stalled_after": settings.TASK_STALLED_AFTER_SECONDS,
        "recovery_every": settings.TASK_RECOVERY_EVERY_SECONDS,
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0].split()[0]
    result["versions"] = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": postgres_version,
        "procrastinate": version("procrastinate"),
        "aiosmtpd": version("aiosmtpd"),
    }
    connection.close()
    return result


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def latency_table(latency: dict[str, Any]) -> str:
    baseline = latency["milliseconds"]["in_process"]
    headers = ["COMMIT → SMTP acceptance", "samples", "median ms", "p95 ms", "max ms", "median ×", "added ms (p95)"]
    rows = []
    for path, label in (
        ("in_process", "in process after COMMIT (`make run`; baseline)"),
        ("queue", "procrastinate job, 1 `run_worker` (LISTEN/NOTIFY)"),
    ):
        values = latency["milliseconds"][path]
        added = f"{statistics.median(values) - statistics.median(baseline):+.1f} "
        added += f"({percentile(values, 95) - percentile(baseline, 95):+.1f})"
        rows.append(
            [
                label,
                str(len(values)),
                f"{statistics.median(values):.1f}",
                f"{percentile(values, 95):.1f}",
                f"{max(values):.1f}",
                f"{statistics.median(values) / statistics.median(baseline):.2f}",
                "—" if path == "in_process" else added,
            ]
        )
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


THROUGHPUT_LABELS = {
    "in_process": "in process, one by one after COMMIT (baseline)",
    "one_worker": "1 `run_worker` process",
    "two_workers": "2 `run_worker` processes",
}


def throughput_table(runs: list[dict[str, Any]], concurrency: int) -> str:
    """A row per configuration: the median run's emails/s, the range, and the median against the baseline's."""
    rates = {label: [run["per_second"] for run in runs if run["label"] == label] for label in THROUGHPUT_ORDER}
    baseline = statistics.median(rates["in_process"])
    headers = [
        "batch committed at once",
        "runs × emails",
        "emails/s (median)",
        "range",
        "× baseline",
        "each run",
    ]
    rows = []
    for label in THROUGHPUT_ORDER:
        own = [run for run in runs if run["label"] == label]
        workers = "" if label == "in_process" else f", {concurrency} jobs each"
        distinct = sorted({run["distinct"] for run in own})
        duplicates = sum(run["duplicates"] for run in own)
        rows.append(
            [
                THROUGHPUT_LABELS[label] + workers,
                f"{len(own)} × {own[0]['emails']}",
                f"{statistics.median(rates[label]):.0f}",
                f"{min(rates[label]):.0f}–{max(rates[label]):.0f}",
                f"{statistics.median(rates[label]) / baseline:.2f}",
                f"{'/'.join(map(str, distinct))} distinct ids, {duplicates} twice",
            ]
        )
    return markdown_table(headers, rows, right_aligned={1, 2, 3, 4})


def cpu_table(runs: list[dict[str, Any]]) -> str:
    """CPU milliseconds per email of each group of processes, the median over a configuration's runs."""

    def ours(run: dict[str, Any]) -> float:
        return sum(run["cpu_seconds"][group] for group in ("bench", "workers", "postgres"))

    def per_email(run: dict[str, Any], group: str) -> float:
        used = ours(run) if group == "total" else run["cpu_seconds"][group]
        return used * 1000 / run["emails"]

    def median_of(label: str, group: str) -> float:
        return statistics.median(per_email(run, group) for run in runs if run["label"] == label)

    headers = [
        "CPU ms per email",
        "bench process",
        "workers",
        "PostgreSQL backends",
        "total",
        "total × baseline",
        "cores busy: these",
        "machine",
    ]
    cores = os.cpu_count() or 1
    rows = []
    for label in THROUGHPUT_ORDER:
        own = [run for run in runs if run["label"] == label]
        shares = [run["cpu_seconds"]["machine_busy_share"] for run in own]
        machine = [share * cores for share in shares if share is not None]
        rows.append(
            [
                THROUGHPUT_LABELS[label],
                *(f"{median_of(label, group):.2f}" for group in ("bench", "workers", "postgres", "total")),
                f"{median_of(label, 'total') / median_of('in_process', 'total'):.2f}",
                f"{statistics.median(ours(run) / run['seconds'] for run in own):.2f}",
                f"{statistics.median(machine):.2f} of {cores}" if machine else "—",
            ]
        )
    return markdown_table(headers, rows, right_aligned={1, 2, 3, 4, 5, 6, 7})


def throughput_runs(runs: list[dict[str, Any]]) -> str:
    short = {"in_process": "in process", "one_worker": "1 worker", "two_workers": "2 workers"}
    return (
        "Each run, in order (emails/s): "
        + ", ".join(f"{short[run['label']]} {run['per_second']:.0f}" for run in runs)
        + "."
    )


def stated_bound(config: dict[str, Any]) -> float:
    return config["stalled_after"] + config["recovery_every"]


def recovery_table(recovery: dict[str, Any], config: dict[str, Any]) -> str:
    headers = ["SIGKILL of 1 of 2 workers mid-batch", "seconds after the kill"]
    rows = [
        ["its last heartbeat, before the kill", f"{recovery['heartbeat_age']:.1f}"],
        ["its jobs back in the queue (last of them)", f"{recovery['requeued_after']:.1f}"],
        ["its jobs started again by the other worker", f"{recovery['restarted_after']:.1f}"],
        ["its emails accepted by the mail server (recovery time)", f"{recovery['delivered_after']:.1f}"],
        ["stated bound (TASK_STALLED_AFTER + TASK_RECOVERY_EVERY)", f"{stated_bound(config):.0f}"],
    ]
    return markdown_table(headers, rows, right_aligned={1})


def recovery_window(config: dict[str, Any], heartbeat_age: float) -> tuple[float, float]:
    """When the sweep can requeue the jobs, in seconds after the kill, given the last heartbeat's age."""
    stalled = config["stalled_after"] - heartbeat_age
    return stalled, stalled + config["recovery_every"]


EXPLANATION = """\
**How.** `bench/tasks.py` migrates a throwaway PostgreSQL database, starts an
SMTP server in a thread of the bench process (aiosmtpd) that notes, by
Message-ID, the moment each message is fully received, right before its `250`,
and task workers as the Procfile starts them (`manage.py run_worker`, with
`make serve`'s environment: DEBUG off, `TASK_QUEUE=procrastinate`,
`CONN_MAX_AGE=60`, SMTP to that server, and every TASK_* setting at its
default: {concurrency} jobs at once per worker, heartbeat every {heartbeat:g}
s, stalled after {stalled_after:g} s, recovery sweep every {recovery_every}
s). Each email is the one `comments.services.add_comment()` causes: a signed-in
reader's comment on a published article tells the article's author, through
`notify_author_of_comment` and `send_once` (a new SMTP connection and an
`EmailDelivery` row per email, on both paths). The moment of COMMIT is taken
by an `on_commit` callback registered first in the comment's transaction;
acceptance and COMMIT are read from the same clock (`time.perf_counter()` in
the bench process). The author and the article are made under
`effects_discarded()`, so no other email is in the counts.

**Latency.** {samples} comments through the queue and {samples} sent in
process, interleaved one at a time (each pair in alternating order, after
{warm_up} unmeasured of each), {gap_ms:.0f} ms apart so each finds the worker
idle. *In process* is what `make run` does: `defer_effect` with
`TASK_QUEUE=in-process` calls the task's function in the writing process once
COMMIT is done (the request that wrote the comment waits for the mail server
meanwhile, and a crash after COMMIT loses the email). *procrastinate* is the
deployment: the job is deferred in the comment's transaction, its NOTIFY wakes
the worker's LISTEN, and the worker fetches the job, runs it in a thread and
sends. “Added” is the difference of the medians (of the p95s in brackets).

**Throughput.** {batch} comments in one transaction, so that their {batch}
emails become due at one COMMIT; a run lasts from that COMMIT to the
acceptance of the last email. The baseline sends them one by one in the bench
process after the COMMIT, as `make run` would; one worker, then two (processes
on the same database, each running {concurrency} jobs at once) drain them as
jobs. {rounds} rounds, in the orders ABC, CBA, ABC…, a second worker started
before a two-worker run and stopped (SIGTERM) before a one-worker run; the
figure is the median run, with the lowest and highest beside it, and “×
baseline” compares medians. The CPU table is what each group of processes
used from the COMMIT to the last acceptance (user and system time from
`/proc/<pid>/stat`, all threads), per email, the median over the runs: the
bench process (the mail server's thread, and on the baseline's row the sends
themselves), the workers, and the PostgreSQL backends connected to the
throwaway database (PostgreSQL's background processes left out); *cores busy*
is their total over the run's length, next to the whole machine's busy cores
over the same time (`/proc/stat`: these processes, PostgreSQL's own, and
whatever else ran then), out of {cores}. Each run must deliver
exactly its {batch} distinct Message-IDs, none twice and nothing else (checked
{settle:g} s after the last), every job must end `succeeded`, and at the end
`EmailDelivery` must hold one row per comment of the whole run.
"""

READING = """\
**Reading the figures.** From COMMIT to the mail server, the queue adds the
NOTIFY's trip to the worker, the fetch of the job (a transaction of its own)
and the hop to a job thread; the in-process path pays none of that, but the
request that wrote the comment waits for the send. Per email, a job also
costs statements the in-process send does not run (fetching and finishing
the job, each in its own transaction, with procrastinate's triggers writing
its events): the CPU table shows what that adds, in the workers and in
PostgreSQL. When the *machine* column is near {cores} cores, the runs were
bound by CPU, and emails/s follow CPU per email: a second worker can only add
what cores are left. On a shared machine the ranges are wide; compare them,
not only the medians.
"""

RECOVERY_EXPLANATION = """\
With both workers running, {emails} comments are committed at
once; after {accepted_before} of their emails are accepted the SMTP server holds
every later message before its answer, so when all {held} job slots of the two
workers hold one, the first worker, holding {orphans} of them (none accepted), is
SIGKILLed; once its connections are seen closed the server lets the others
through. The killed worker's jobs stay `doing` until its heartbeat is
{stalled_after:g} s old and the other worker's periodic sweep
(`recover_stalled_jobs`, every {recovery_every} s) puts them back in the queue;
times after the kill are procrastinate's own events (`deferred_for_retry`,
`started`, the database's clock) and the mail server's acceptance. One
measurement: its last heartbeat was {heartbeat_age:.1f} s old at the kill, so
the sweep could requeue its jobs between {window_low:.1f} and {window_high:.1f}
s after it, wherever the sweep's period fell; the stated bound, about
{bound:.0f} s, is the worst case (a heartbeat just sent, a sweep just missed),
plus the send. The whole batch, the killed worker's emails included, must
arrive exactly once each.
"""


def section(result: dict[str, Any], args: argparse.Namespace, argv: list[str], wall: float) -> str:
    config, versions = result["settings"], result["versions"]
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    made_by = (
        f"Made by `{command_line(__file__, argv)}` on {today}: {os.cpu_count()} CPU cores shared by PostgreSQL "
        f"{versions['postgres']}, the workers, the mail server, the bench and whatever else ran then; "
        f"Python {versions['python']}, Django {versions['django']}, "
        f"procrastinate {versions['procrastinate']}, aiosmtpd {versions['aiosmtpd']}. "
        f"Whole run {wall:.0f} s."
    )
    explanation = EXPLANATION.format(
        samples=args.samples,
        warm_up=WARM_UP_SAMPLES,
        gap_ms=SAMPLE_GAP_SECONDS * 1000,
        batch=args.batch,
        rounds=args.rounds,
        cores=os.cpu_count(),
        settle=SETTLE_SECONDS,
        **config,
    )
    parts = [
        SECTION_START,
        "## Tasks: email through the procrastinate queue",
        made_by,
        reflowed(explanation),
        "### Latency: from a comment's COMMIT to its email's acceptance",
        latency_table(result["latency"]),
        "### Throughput: a batch of emails due at once",
        throughput_table(result["throughput"], config["concurrency"]),
        throughput_runs(result["throughput"]),
        cpu_table(result["throughput"]),
        reflowed(READING.format(cores=os.cpu_count())),
    ]
    if "recovery" in result:
        recovery = result["recovery"]
        low, high = recovery_window(config, recovery["heartbeat_age"])
        parts += [
            "### Recovery: a worker SIGKILLed in the middle of a batch",
            reflowed(
                RECOVERY_EXPLANATION.format(
                    emails=recovery["emails"],
                    accepted_before=ACCEPTED_BEFORE_KILL,
                    held=2 * config["concurrency"],
                    orphans=recovery["orphans"],
                    heartbeat_age=recovery["heartbeat_age"],
                    window_low=low,
                    window_high=high,
                    bound=stated_bound(config),
                    **config,
                )
            ),
            recovery_table(recovery, config),
            f"The batch: {recovery['distinct']} distinct Message-IDs accepted, {recovery['duplicates']} twice.",
        ]
    parts.append(SECTION_END)
    return "\n\n".join(parts) + "\n"


def print_tables(result: dict[str, Any]) -> None:
    config = result["settings"]
    print("\nLatency: from a comment's COMMIT to its email's acceptance\n")
    print(latency_table(result["latency"]))
    print("\nThroughput: a batch of emails due at once\n")
    print(throughput_table(result["throughput"], config["concurrency"]))
    print(throughput_runs(result["throughput"]))
    print()
    print(cpu_table(result["throughput"]))
    if "recovery" in result:
        print("\nRecovery: a worker SIGKILLed in the middle of a batch\n")
        print(recovery_table(result["recovery"], config))
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["phases"].items())
    print(f"\nPhases: {phases}")


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="latency samples of each path")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="emails in each throughput run")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="throughput runs of each configuration")
    parser.add_argument(
        "--recovery-batch", type=int, default=DEFAULT_RECOVERY_BATCH, help="emails in the batch of the kill"
    )
    parser.add_argument("--no-recovery", dest="recovery", action="store_false", help="skip the SIGKILL measurement")
    parser.add_argument("--no-write", action="store_true", help="print the tables, leave docs/benchmarks.md alone")
    parser.add_argument("--measure-into", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.samples < 2 or args.batch < 1 or args.rounds < 1:
        parser.error("--samples must be at least 2, --batch and --rounds at least 1")
    if args.recovery_batch < ACCEPTED_BEFORE_KILL + 4 * settings.PROCRASTINATE_WORKER_DEFAULTS["concurrency"]:
        parser.error("--recovery-batch is too small to kill a worker in its middle")
    return args


def report(argv: list[str], args: argparse.Namespace) -> int:
    started = time.perf_counter()
    child_argv = [argument for argument in argv if argument != "--no-write"]
    result = measure_in_throwaway_database(__file__, "bench_tasks", argv)
    if result is None:
        return 1
    wall = time.perf_counter() - started
    print_tables(result)
    print(f"Whole run {wall:.0f} s.")
    if not args.no_write:
        write_section(__file__, section(result, args, child_argv, wall))
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.measure_into:
        try:
            result = measure_this_database(args)
        except MeasurementFailed as error:
            print(error, file=sys.stderr)
            return 1
        args.measure_into.write_text(json.dumps(result))
        return 0
    return report(argv, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
