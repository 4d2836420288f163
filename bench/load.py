"""Requests per second and latency of the site served as `make serve` serves it.

Run from the repository root::

    .venv/bin/python bench/load.py [--seconds 8] [--concurrency 8] [--workers 3]

The script starts the site itself with ``scripts/serve.sh`` (gunicorn with
several workers, DEBUG off, static files by whitenoise, the task worker) on
127.0.0.1 only, against a throwaway PostgreSQL database that it creates and
drops and Redis database 13, under keys of this run's own (views under
``VIEW_BUFFER_PREFIX=bench-load-<pid>:views``; page keys hold the site's
port): nothing is flushed, so a second run at the same time (``make
bench-smoke`` in a CI run, say) cannot wipe this one's buffered views. ``serve.sh`` migrates and
seeds the demo site. A load generator written here (threads, ``http.client``,
one connection per thread, reopened whenever the server closes it) then asks
for each page for ``--seconds`` (at most 20) and reports requests per second
and p50/p99 latency, next to a baseline view served by the same gunicorn
(``/healthz``: no database, no template): home, a category and an author,
each served from the page cache (as ``make serve`` has it on) and rendered
(``?bench=1``, which the cache leaves alone), and the article page from the
cache and rendered for an anonymous reader and rendered for a signed-in one
(a session made once with ``manage.py shell``, its cookie on every request).
Every article row checks that the article's ``view_count`` grew by exactly
the number of successful requests; the cached article page is measured again
on the site whose views are buffered in Redis. The page rows of the run
before the article page was cached (``PREVIOUS``) stand next to them, and the
goals of issue 10 are judged against this run's ratios.

The hot-article comparison hammers one article page with every thread, with
views counted by an F() UPDATE of the row (``VIEW_BUFFER_URL`` empty) and, when
``articles/view_counts.py`` exists, buffered in Redis (``VIEW_BUFFER_URL`` set,
with a final ``manage.py flush_views``), two sites up side by side on the same
database and their runs interleaved (``--rounds`` of each, ``--hot-seconds``
each; then ``--crowd-rounds`` with ``--crowd-clients`` and
``--crowd-workers``). Each run must be exact: the article's ``view_count``
grows by exactly the number of successful requests. Requests/s alone say
little on a shared machine, so PostgreSQL's own counters are read around each
run as well: commits (``pg_stat_database.xact_commit``), write transactions
(transaction ids handed out), WAL bytes (``pg_wal_lsn_diff``) per 1,000 views,
and how often a backend of the site waited for a lock (``pg_stat_activity``,
sampled). The whole script takes about six minutes.

Figures are indicative (one machine, the generator shares its cores with the
server). The script exits 1 on any failed request or inexact count, and writes
its section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import platform
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on sys.path, not the project.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    SMOKE,
    command_line,
    markdown_table,
    postgres_admin_connection,
    reflowed,
    section_markers,
    throwaway_postgres_database,
    write_section,
)
from bench.cpu_use import KINDS, MACHINE, CpuUse  # noqa: E402

PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
SECTION_START, SECTION_END = section_markers(__file__)
REDIS_URL = "redis://127.0.0.1:6379/13"
HOST = "127.0.0.1"
MAX_SECONDS = 20
STARTUP_TIMEOUT = 120
WARM_UP_SECONDS = 0.2 if SMOKE else 1.0
REQUEST_TIMEOUT = 30


# --------------------------------------------------------------------------
# The load generator
# --------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    path: str
    key: str = ""
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    cache_hits: int = 0
    counted: int | None = None  # the article's view_count rise over the run, for the article pages
    reference: Run | None = None  # the baseline of its ratios, when not the first run (another gunicorn)
    cpu: CpuUse = field(default_factory=CpuUse)  # CPU spent on the machine during the run, by kind of process

    @property
    def exact(self) -> bool:
        return self.counted is None or self.counted == self.successes

    @property
    def successes(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.successes / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1] * 1000


def hammer(port: int, path: str, *, seconds: float, concurrency: int, label: str = "", cookie: str = "") -> Run:
    """Every thread asks for ``path`` again and again until ``seconds`` have passed.

    ``cookie``, when given, is sent as the ``Cookie`` header of every request
    (a signed-in reader's session).

    A thread never leaves a request unanswered: it checks the deadline before
    sending, then waits for the whole response, so every request the server
    handled is counted here as a success or a failure.
    """
    run = Run(label=label or path, path=path)
    if label:
        print(f"{label}: {seconds:g} s of GET {path}", flush=True)
    lock = threading.Lock()
    headers = {"Cookie": cookie} if cookie else {}
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        latencies, failures, hits = [], Counter(), 0
        connection = None
        while time.perf_counter() < deadline:
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                failures[type(error).__name__] += 1
                connection.close()
                connection = None
                continue
            elapsed = time.perf_counter() - started
            if response.status == 200:
                latencies.append(elapsed)
                hits += response.getheader("X-Page-Cache") == "hit"
            else:
                failures[f"HTTP {response.status}"] += 1
            if response.will_close:  # gunicorn's sync workers close after each response
                connection.close()
                connection = None
        if connection is not None:
            connection.close()
        with lock:
            run.latencies.extend(latencies)
            run.failures.update(failures)
            run.cache_hits += hits

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    run.cpu.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    run.cpu.stop()
    return run


# --------------------------------------------------------------------------
# The site: a throwaway database, Redis db 13, scripts/serve.sh
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def site_environment(database_url: str, port: int, workers: int, *, view_buffer_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "VIEW_BUFFER_URL": view_buffer_url,
        # Redis is shared with anything else running: this run's views under keys of its own.
        "VIEW_BUFFER_PREFIX": f"bench-load-{os.getpid()}:views",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ACCESS_LOG": "",  # a log line per request would measure the terminal
        "LOG_LEVEL": "WARNING",
        # Two sites side by side: each its own supervisord (config, socket), one task worker.
        "SERVE_RUN_DIR": str(Path(tempfile.gettempdir()) / f"blogsite-bench-{port}"),
        "TASK_WORKERS": "1",
    }
    for name in ("DEBUG", "SITE_URL", "PAGE_CACHE_SECONDS"):
        env.pop(name, None)
    return env


@contextmanager
def running_site(env: dict[str, str], log: Path, root: Path = REPO_ROOT) -> Iterator[int]:
    """``scripts/serve.sh`` of the tree at ``root`` in its own process group; yields the port once /healthz answers."""
    port = int(env["PORT"])
    with log.open("ab") as output:
        process = subprocess.Popen(
            ["sh", "scripts/serve.sh"], cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_until_up(process, port, log)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)  # serve.sh stops gunicorn and the workers it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_up(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"scripts/serve.sh exited with {process.returncode}:\n{tail(log)}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    raise SystemExit(f"The site did not answer /healthz within {STARTUP_TIMEOUT} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def manage(env: dict[str, str], *args: str, root: Path = REPO_ROOT) -> str:
    completed = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def article_to_read(database_url: str) -> tuple[str, int]:
    """The newest published article: (its slug, its view_count)."""
    with psycopg.connect(database_url_for_psycopg(database_url)) as connection:
        row = connection.execute(
            "SELECT slug, view_count FROM articles_article WHERE status = 'published' "
            "ORDER BY published_at DESC, id DESC LIMIT 1"
        ).fetchone()
    return row[0], row[1]


def view_count(database_url: str, slug: str) -> int:
    with psycopg.connect(database_url_for_psycopg(database_url)) as connection:
        return connection.execute("SELECT view_count FROM articles_article WHERE slug = %s", [slug]).fetchone()[0]


def database_url_for_psycopg(database_url: str) -> str:
    return database_url.replace("postgres://", "postgresql://", 1)


# --------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------


def warm_up(port: int, paths: list[str], concurrency: int) -> None:
    # Every worker compiles its templates and opens its database connection.
    for path in paths:
        hammer(port, path, seconds=WARM_UP_SECONDS, concurrency=concurrency)


def list_pages_to_read(database_url: str, slug: str) -> tuple[str, str]:
    """The category and the author of the article ``slug``: (the category's slug, the author's username)."""
    with psycopg.connect(database_url_for_psycopg(database_url)) as connection:
        row = connection.execute(
            "SELECT (SELECT c.slug FROM articles_category c WHERE c.id = a.category_id), u.username "
            "FROM articles_article a JOIN authors_author au ON au.id = a.author_id "
            "JOIN auth_user u ON u.id = au.user_id WHERE a.slug = %s",
            [slug],
        ).fetchone()
    if row[0] is None:  # this article has no category: any category with a published article
        with psycopg.connect(database_url_for_psycopg(database_url)) as connection:
            row = (
                connection.execute(
                    "SELECT c.slug FROM articles_category c JOIN articles_article a ON a.category_id = c.id "
                    "WHERE a.status = 'published' ORDER BY c.id LIMIT 1"
                ).fetchone()[0],
                row[1],
            )
    return row[0], row[1]


READER = "bench-reader"


def signed_in_cookie(env: dict[str, str], root: Path = REPO_ROOT) -> str:
    """A session of a reader (no author, no staff), made once in the site's own settings: the Cookie header.

    ``Client.force_login`` saves the session in the site's session store,
    signed with the site's SECRET_KEY, as signing in through the form does. A
    CSRF cookie goes with it, as a browser that has seen one page sends it, so
    the page does not set a new one on every response.
    """
    script = (
        "from django.conf import settings\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.test import Client\n"
        f"user, _ = get_user_model().objects.get_or_create(username={READER!r})\n"
        "client = Client()\n"
        "client.force_login(user)\n"
        "print(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value,"
        " settings.CSRF_COOKIE_NAME)"
    )
    session_cookie, session, csrf_cookie = manage(env, "shell", "--no-imports", "-c", script, root=root).split()[-3:]
    csrf_secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return f"{session_cookie}={session}; {csrf_cookie}={csrf_secret}"


@dataclass
class Page:
    key: str  # what PREVIOUS and the goals know the row by
    label: str
    path: str
    cookie: str = ""
    counts_views: bool = False  # an article page: its view_count must grow by exactly its successes


def measure_pages(site: Site, database_url: str, args: argparse.Namespace, buffered: Site | None) -> list[Run]:
    """Every page rendered and from the page cache, between two runs of the baseline.

    The article pages count their views in the row (VIEW_BUFFER_URL empty), so
    each of their runs is checked right after it: the article's ``view_count``
    grew by exactly the number of successful requests.
    """
    slug, _views = article_to_read(database_url)
    category, author = list_pages_to_read(database_url, slug)
    signed_in = signed_in_cookie(site.env)
    article = f"/articles/{slug}/"
    pages = [
        Page("baseline", "baseline: /healthz", "/healthz"),
        Page("home cached", "home, anonymous, from the page cache", "/"),
        Page("home rendered", "home, anonymous, rendered (`?bench=1`)", "/?bench=1"),
        Page("category cached", "category, anonymous, from the page cache", f"/categories/{category}/"),
        Page("category rendered", "category, anonymous, rendered (`?bench=1`)", f"/categories/{category}/?bench=1"),
        Page("author cached", "author, anonymous, from the page cache", f"/authors/{author}/"),
        Page("author rendered", "author, anonymous, rendered (`?bench=1`)", f"/authors/{author}/?bench=1"),
        Page("article cached", "article, anonymous, from the page cache", article, counts_views=True),
        Page("article rendered", "article, anonymous, rendered (`?bench=1`)", f"{article}?bench=1", counts_views=True),
        Page("article signed in", "article, signed-in reader, rendered", article, signed_in, counts_views=True),
        Page("baseline again", "baseline again: /healthz", "/healthz"),
    ]
    runs = run_pages(site, pages, database_url, slug, args)
    if buffered is not None:
        # The anonymous article page again, on the second site, whose views are buffered in Redis as `make
        # serve` counts them; against that gunicorn's own baseline.
        pages = [
            Page("baseline buffered", "baseline on the buffered site: /healthz", "/healthz"),
            Page(
                "article cached buffered", "article, anonymous, from the page cache, views buffered in Redis", article,
                counts_views=True,
            ),
        ]  # fmt: skip
        extra = run_pages(buffered, pages, database_url, slug, args)
        extra[1].reference = extra[0]
        runs += extra
    return runs


def run_pages(site: Site, pages: list[Page], database_url: str, slug: str, args: argparse.Namespace) -> list[Run]:
    runs = []
    for page in pages:
        # Right before its run, so that no page the cache holds expires during it (PAGE_CACHE_SECONDS):
        # every worker compiles its templates and opens its database connection; the cache is filled.
        hammer(site.port, page.path, seconds=WARM_UP_SECONDS, concurrency=args.concurrency, cookie=page.cookie)
        if site.buffered and page.counts_views:
            manage(site.env, "flush_views")  # the warm-up's views, out of the way
        views_before = view_count(database_url, slug)
        run = hammer(
            site.port, page.path, seconds=args.seconds, concurrency=args.concurrency, label=page.label,
            cookie=page.cookie,
        )  # fmt: skip
        run.key = page.key
        if page.counts_views:
            if site.buffered:
                manage(site.env, "flush_views")  # every response is in: this leaves nothing buffered
            run.counted = view_count(database_url, slug) - views_before
            print(f"  {run.per_second:.0f} req/s, {run.counted}/{run.successes} views counted", flush=True)
        runs.append(run)
    return runs


def buffering_in_settings(env: dict[str, str]) -> bool:
    probe = "from django.conf import settings; print(bool(getattr(settings, 'VIEW_BUFFER_URL', '')))"
    return manage(env, "shell", "--no-imports", "-c", probe) == "True"


# --------------------------------------------------------------------------
# The hot article: interleaved rounds, with PostgreSQL's own counters
# --------------------------------------------------------------------------

DIRECT, BUFFERED = "in the row (F() UPDATE)", "buffered in Redis (flush_views)"
# PostgreSQL 15+ backends publish their counters (xact_commit) at most once a
# second while busy, and what is left after up to 10 s idle: the counters are
# read this long after a run's last request.
# A smoke run (BENCH_SMOKE=1) keeps none of these figures and does not wait.
SETTLE_SECONDS = 0 if SMOKE else 11
LOCK_SAMPLE_INTERVAL = 0.05


@dataclass
class PgCounters:
    commits: int  # pg_stat_database.xact_commit of the site's database
    next_xid: int  # transaction ids handed out so far (server-wide): a transaction gets one when it first writes
    wal_lsn: str  # pg_current_wal_lsn() (server-wide)


def pg_counters(admin: psycopg.Connection, dbname: str) -> PgCounters:
    row = admin.execute(
        "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = %s), "
        "pg_snapshot_xmax(pg_current_snapshot())::text::bigint, pg_current_wal_lsn()::text",
        [dbname],
    ).fetchone()
    return PgCounters(commits=row[0], next_xid=row[1], wal_lsn=row[2])


def wal_bytes(admin: psycopg.Connection, before: PgCounters, after: PgCounters) -> int:
    return int(
        admin.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)", [after.wal_lsn, before.wal_lsn]).fetchone()[0]
    )


@dataclass
class LockSamples:
    samples: int = 0
    with_waiter: int = 0  # samples in which at least one backend of the site's database waited for a lock
    waiters: int = 0  # waiting backends summed over the samples
    most: int = 0


@contextmanager
def sampling_lock_waits(dbname: str) -> Iterator[LockSamples]:
    """Every LOCK_SAMPLE_INTERVAL, count the site's backends waiting for a heavyweight lock.

    A reader's UPDATE of a row another transaction has updated but not yet
    committed waits on that transaction's id (``wait_event_type = 'Lock'``,
    ``transactionid`` or ``tuple``). Asked from the ``postgres`` database, so the
    sampling adds no transaction to the site's.
    """
    result, stop = LockSamples(), threading.Event()

    def sample() -> None:
        with postgres_admin_connection() as admin:
            while not stop.wait(LOCK_SAMPLE_INTERVAL):
                waiting = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", [dbname]
                ).fetchone()[0]
                result.samples += 1
                result.with_waiter += waiting > 0
                result.waiters += waiting
                result.most = max(result.most, waiting)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()


@dataclass
class HotRun:
    mode: str
    variant: str
    number: int
    run: Run
    counted: int = 0
    commits: int = 0
    writes: int = 0
    wal: int = 0
    locks: LockSamples = field(default_factory=LockSamples)

    @property
    def exact(self) -> bool:
        return self.counted == self.run.successes

    def per_thousand(self, value: int) -> float:
        return 1000 * value / self.run.successes if self.run.successes else 0.0


@dataclass
class Site:
    mode: str
    env: dict[str, str]
    port: int

    @property
    def buffered(self) -> bool:
        return bool(self.env["VIEW_BUFFER_URL"])


def interleaved(modes: list[str], rounds: int) -> list[str]:
    """A B, B A, A B, …: neither mode always goes first, nor always right after the other."""
    return [mode for number in range(rounds) for mode in (modes if number % 2 == 0 else modes[::-1])]


def measure_hot_article(
    sites: dict[str, Site], database_url: str, *, variant: str, rounds: int, seconds: float, concurrency: int
) -> list[HotRun]:
    """Interleaved runs of the article page against sites that stay up; PostgreSQL's counters around each."""
    dbname = database_url.rsplit("/", 1)[1]
    slug, _views = article_to_read(database_url)
    article = f"/articles/{slug}/"
    for site in sites.values():
        warm_up(site.port, ["/healthz", article], concurrency)
        if site.buffered:
            manage(site.env, "flush_views")  # the warm-up's views, out of the way
    time.sleep(SETTLE_SECONDS)
    results, numbers = [], Counter()
    with postgres_admin_connection() as admin:
        for mode in interleaved(list(sites), rounds):
            site, numbers[mode] = sites[mode], numbers[mode] + 1
            label = f"{variant}, {'buffered' if site.buffered else 'in the row'} #{numbers[mode]}"
            views_before = view_count(database_url, slug)
            before = pg_counters(admin, dbname)
            with sampling_lock_waits(dbname) as locks:
                run = hammer(site.port, article, seconds=seconds, concurrency=concurrency, label=label)
            if site.buffered:
                # All responses are in, so every view is in Redis: this flush (which finishes any batch
                # the sites' periodic flush task is applying) leaves nothing buffered.
                manage(site.env, "flush_views")
            time.sleep(SETTLE_SECONDS)
            after = pg_counters(admin, dbname)
            results.append(
                HotRun(
                    mode=mode,
                    variant=variant,
                    number=numbers[mode],
                    run=run,
                    counted=view_count(database_url, slug) - views_before,
                    commits=after.commits - before.commits,
                    writes=after.next_xid - before.next_xid,
                    wal=wal_bytes(admin, before, after),
                    locks=locks,
                )
            )
            entry = results[-1]
            print(
                f"  {run.per_second:.0f} req/s, {entry.counted}/{run.successes} counted, "
                f"{entry.per_thousand(entry.commits):.0f} commits, {entry.per_thousand(entry.writes):.0f} writes, "
                f"{entry.per_thousand(entry.wal) / 1024:.0f} KiB WAL per 1,000 views; "
                f"lock waits in {entry.locks.with_waiter}/{entry.locks.samples} samples",
                flush=True,
            )
    return results


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def failures_cell(run: Run) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in run.failures.items()) or "0"


# The page rows of docs/benchmarks.md before the article page was cached and its
# Markdown stored rendered (`git show 5cc583c:docs/benchmarks.md`, a run on a
# quiet machine on 2026-12-01): requests/s and × baseline req/s. That run had
# no category, author or signed-in rows; its article page was the anonymous
# page, rendered on every request (0 % from the cache), the "today's rate" of
# issue 10, against which the signed-in page is compared as well.
PREVIOUS_COMMIT = "5cc583c"
PREVIOUS = {
    "baseline": (2784, 1.00),
    "home cached": (1640, 0.59),
    "home rendered": (325, 0.12),
    "article rendered": (270, 0.10),
    "article signed in": (270, 0.10),
}


def pages_table(runs: list[Run]) -> str:
    baseline = runs[0]
    headers = [
        "page",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "× baseline req/s",
        "× baseline p50",
        "from cache",
        "views counted",
        "errors",
        f"before ({PREVIOUS_COMMIT}) req/s",
        "before × baseline",
    ]
    rows = []
    for run in runs:
        base = run.reference or baseline
        previous = PREVIOUS.get(run.key)
        counted = "—"
        if run.counted is not None:
            counted = f"{run.counted}/{run.successes}" + ("" if run.exact else " **inexact**")
        rows.append(
            [
                run.label,
                f"{run.per_second:.0f}",
                f"{run.percentile_ms(50):.1f}",
                f"{run.percentile_ms(99):.1f}",
                f"{run.per_second / base.per_second:.2f}" if base.per_second else "—",
                f"{run.percentile_ms(50) / base.percentile_ms(50):.2f}" if base.latencies else "—",
                f"{100 * run.cache_hits / run.successes:.0f} %" if run.successes else "—",
                counted,
                failures_cell(run),
                f"{previous[0]}" + ("*" if run.key == "article signed in" else "") if previous else "—",
                f"{previous[1]:.2f}" if previous else "—",
            ]
        )
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def ratio(runs: list[Run], key: str) -> float:
    run = next(run for run in runs if run.key == key)
    baseline = run.reference or runs[0]
    return run.per_second / baseline.per_second if baseline.per_second else 0.0


def goals_table(runs: list[Run], hot: list[HotRun]) -> str:
    """Issue 10's goals, each against this run's figures."""
    rows = []

    def goal(text: str, figure: str, holds: bool | None) -> None:
        rows.append([text, figure, "—" if holds is None else ("yes" if holds else "**no**")])

    counting = {"article cached": "views counted in the row", "article cached buffered": "views buffered in Redis"}
    for key, how in counting.items():
        article = next((run for run in runs if run.key == key), None)
        if article is None:
            continue
        cached = ratio(runs, key)
        goal(
            f"anonymous article page, from the cache ({how}): ≥ 0.5× /healthz, every view counted",
            f"{cached:.2f}×, {article.counted}/{article.successes} counted",
            cached >= 0.5 and article.exact,
        )
    # Against the revision before, the two trees are measured in one run by
    # bench/profile.py; here only against a run of another day, on a machine
    # as busy as it was then, so these rows judge nothing.
    elsewhere = f"judged by bench/profile.py, both trees in one run; here against {PREVIOUS_COMMIT}'s own run"
    signed_in = ratio(runs, "article signed in") / PREVIOUS["article signed in"][1]
    goal(
        "signed-in article page: ≥ 3× the article page's rate before",
        f"{ratio(runs, 'article signed in'):.2f}× /healthz = {signed_in:.1f}× before ({elsewhere})",
        None,
    )
    for name in ("home", "category", "author"):
        rendered = ratio(runs, f"{name} rendered")
        previous = PREVIOUS.get(f"{name} rendered")
        figure = f"{rendered:.2f}× /healthz"
        if previous:
            figure += f" = {rendered / previous[1]:.1f}× before"
        goal(f"{name}, rendered: ≥ 2× its rate before", f"{figure} ({elsewhere})", None)
        cached_list = ratio(runs, f"{name} cached")
        goal(f"{name}, from the cache: ≥ 0.8× /healthz", f"{cached_list:.2f}×", cached_list >= 0.8)
    grouped = by_mode(hot)
    for variant in dict.fromkeys(entry.variant for entry in hot):
        direct, buffered = grouped.get((variant, DIRECT)), grouped.get((variant, BUFFERED))
        if not direct or not buffered:
            continue
        times = median_rate(buffered) / median_rate(direct) if median_rate(direct) else 0.0
        exact = all(entry.exact for entry in direct + buffered)
        row, lookup = (cpu_ms([entry.run for entry in entries]) for entries in (direct, buffered))
        cost = f"; CPU per view {row / lookup:.2f}× less buffered" if row and lookup else ""
        goal(
            f"hot article ({variant.replace(' / ', ' clients, ')} workers), from the cache: buffered ≥ 3× in the "
            "row, exact totals",
            f"{times:.2f}×, {sum(entry.exact for entry in direct + buffered)}/{len(direct + buffered)} runs exact"
            + cost,
            times >= 3 and exact,
        )
    return markdown_table(["goal (issue 10)", "this run", "holds"], rows, right_aligned=set())


def spread(values: list[float], fmt: str) -> str:
    """The median, and min–max when the runs differ."""
    median, low, high = statistics.median(values), min(values), max(values)
    text = format(median, fmt)
    return text if format(low, fmt) == format(high, fmt) else f"{text} ({format(low, fmt)}–{format(high, fmt)})"


def by_mode(hot: list[HotRun]) -> dict[tuple[str, str], list[HotRun]]:
    grouped: dict[tuple[str, str], list[HotRun]] = {}
    for entry in hot:
        grouped.setdefault((entry.variant, entry.mode), []).append(entry)
    return grouped


def median_rate(entries: list[HotRun]) -> float:
    return statistics.median(entry.run.per_second for entry in entries)


def hot_summary_table(hot: list[HotRun], baseline: Run) -> str:
    headers = [
        "clients / workers",
        "views counted",
        "runs",
        "requests/s",
        "× baseline req/s",
        "× in the row req/s",
        "p50 ms",
        "p99 ms",
        "commits / 1,000 views",
        "write transactions / 1,000 views",
        "WAL KiB / 1,000 views",
        "lock-wait samples",
        "from cache",
        "exact",
    ]
    grouped = by_mode(hot)
    rows = []
    for (variant, mode), entries in grouped.items():
        direct = grouped.get((variant, DIRECT))
        rates = [entry.run.per_second for entry in entries]
        rows.append(
            [
                variant,
                mode,
                str(len(entries)),
                spread(rates, ".0f"),
                f"{median_rate(entries) / baseline.per_second:.2f}" if baseline.per_second else "—",
                f"{median_rate(entries) / median_rate(direct):.2f}" if direct and median_rate(direct) else "—",
                spread([entry.run.percentile_ms(50) for entry in entries], ".1f"),
                spread([entry.run.percentile_ms(99) for entry in entries], ".1f"),
                spread([entry.per_thousand(entry.commits) for entry in entries], ".0f"),
                spread([entry.per_thousand(entry.writes) for entry in entries], ".0f"),
                spread([entry.per_thousand(entry.wal) / 1024 for entry in entries], ".1f"),
                spread(waits(entries), ".0f") + " %",
                spread([cache_share(entry.run) for entry in entries], ".0f") + " %",
                f"{sum(entry.exact for entry in entries)}/{len(entries)}",
            ]
        )
    return markdown_table(headers, rows, right_aligned=set(range(2, len(headers))))


def cpu_ms(runs: list[Run], kind: str = MACHINE) -> float | None:
    """The median of the runs' CPU milliseconds per successful request, or None where none was measured."""
    figures = [figure for run in runs if (figure := run.cpu.ms_per(run.successes, kind)) is not None]
    return statistics.median(figures) if figures else None


def cpu_cell(figure: float | None) -> str:
    return "—" if figure is None else f"{figure:.2f}"


def cpu_table(hot: list[HotRun], baseline: Run) -> str:
    """CPU milliseconds per request, on the whole machine and by kind of process: the cost behind each rate."""
    rows = [["/healthz (the baseline)", f"{baseline.per_second:.0f}", *cpu_cells([baseline])]]
    for (variant, mode), entries in by_mode(hot).items():
        runs = [entry.run for entry in entries]
        label = f"hot article, {variant}, {'buffered' if mode == BUFFERED else 'in the row'}"
        rows.append([label, f"{median_rate(entries):.0f}", *cpu_cells(runs)])
    headers = ["CPU ms per request, in", "requests/s", "machine", *KINDS]
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def cpu_cells(runs: list[Run]) -> list[str]:
    return [cpu_cell(cpu_ms(runs, kind)) for kind in (MACHINE, *KINDS)]


def cache_share(run: Run) -> float:
    return 100 * run.cache_hits / run.successes if run.successes else 0.0


def waits(entries: list[HotRun]) -> list[float]:
    return [100 * entry.locks.with_waiter / max(entry.locks.samples, 1) for entry in entries]


def hot_reading(hot: list[HotRun], baseline: Run) -> str:
    """What this run's medians say, buffered against in the row, for each group."""
    grouped = by_mode(hot)
    sentences = []
    for variant in dict.fromkeys(entry.variant for entry in hot):
        direct, buffered = grouped.get((variant, DIRECT)), grouped.get((variant, BUFFERED))
        if not direct or not buffered:
            continue

        def median(entries: list[HotRun], figure: str) -> float:
            return statistics.median(entry.per_thousand(getattr(entry, figure)) for entry in entries)

        low = [min(entry.run.per_second for entry in entries) for entries in (direct, buffered)]
        high = [max(entry.run.per_second for entry in entries) for entries in (direct, buffered)]
        overlap = max(low) <= min(high)
        wal_direct, wal_buffered = median(direct, "wal"), median(buffered, "wal")
        sentences.append(
            f"With {variant.replace(' / ', ' clients and ')} workers, buffered counting served "
            f"{median_rate(buffered) / median_rate(direct):.2f}× the requests/s of counting in the row "
            f"(the runs' ranges {'overlap' if overlap else 'do not overlap'}), and per 1,000 views took "
            f"{median(direct, 'commits') - median(buffered, 'commits'):.0f} fewer commits, "
            f"{median(buffered, 'writes'):.0f} write transactions instead of {median(direct, 'writes'):.0f}, and "
            f"{wal_buffered / 1024:.1f} KiB of WAL instead of {wal_direct / 1024:.0f} KiB"
            + (f" ({wal_direct / wal_buffered:.0f}× less)" if wal_buffered else "")
            + f"; a backend waited for a lock in {spread(waits(direct), '.0f')} % of the samples in the row "
            f"and {spread(waits(buffered), '.0f')} % buffered." + cost_reading(direct, buffered, baseline)
        )
    return "**Reading this run.** " + " ".join(sentences)


def cost_reading(direct: list[HotRun], buffered: list[HotRun], baseline: Run) -> str:
    row, lookup = (cpu_ms([entry.run for entry in entries]) for entries in (direct, buffered))
    healthz = cpu_ms([baseline])
    if not row or not lookup or healthz is None:
        return ""
    return (
        f" A view cost {row:.2f} ms of the machine's CPU in the row and {lookup:.2f} ms buffered "
        f"({row / lookup:.2f}×), and a request for /healthz {healthz:.2f} ms: while the cores bound the rate, "
        "the first ratio is the most buffered counting can serve over the row."
    )


def hot_runs_table(hot: list[HotRun]) -> str:
    headers = [
        "run, in order",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "successful",
        "view_count +",
        "exact",
        "commits",
        "write transactions",
        "WAL KiB",
        "lock-wait samples",
        "from cache",
    ]
    rows = [
        [
            f"{entry.variant}, {'buffered' if entry.mode == BUFFERED else 'in the row'} #{entry.number}",
            f"{entry.run.per_second:.0f}",
            f"{entry.run.percentile_ms(50):.1f}",
            f"{entry.run.percentile_ms(99):.1f}",
            failures_cell(entry.run),
            str(entry.run.successes),
            str(entry.counted),
            "yes" if entry.exact else "**no**",
            str(entry.commits),
            str(entry.writes),
            f"{entry.wal / 1024:.1f}",
            f"{entry.locks.with_waiter}/{entry.locks.samples} (most {entry.locks.most})",
            f"{cache_share(entry.run):.0f} %",
        ]
        for entry in hot
    ]
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def server_version() -> str:
    with postgres_admin_connection() as admin:
        return admin.execute("SHOW server_version").fetchone()[0].split()[0]


CPU_EXPLANATION = """\
**CPU per request** (`bench/cpu_use.py`), in milliseconds, the median of a
group's runs: the CPU time the cores spent during a run (`/proc/stat`: user,
system and interrupts; not idle, I/O wait or time stolen by the host) divided
by its successful requests, and the same for each kind of process
(`/proc/<pid>/stat`: gunicorn's master and workers of both sites, every
PostgreSQL backend and its writers, Redis, the load generator itself, and
the rest: the task workers, supervisord, the kernel's threads). The machine's
column is more than the sum of the others by the kernel's work for
processes that is not charged to them (network interrupts). With the cores
the bound, the ratio of two rows' machine figures is the most one can serve
over the other, whatever the code above them; the generator's own share is
what a client on another machine would leave to the server."""


def section(runs: list[Run], hot: list[HotRun], unavailable: str, args: argparse.Namespace, argv: list[str]) -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    made_by = (
        f"Made by `{command_line(__file__, argv, executable=PYTHON)}` on {today}: "
        f"{os.cpu_count()} CPU cores shared by the server, "
        f"PostgreSQL, Redis and the load generator; gunicorn {args.workers} sync workers; "
        f"{args.concurrency} client threads; {args.seconds:g} s per page row, {args.hot_seconds:g} s per "
        f"hot-article run ({args.rounds} of each mode, then {args.crowd_rounds} with {args.crowd_clients} clients "
        f"and {args.crowd_workers} workers); Python {platform.python_version()}; PostgreSQL "
        f"{server_version()}; load average {args.load_before} at the start and {args.load_after} at the end "
        "(the machine is shared with other work)."
    )
    explanation = f"""\
**How.** `bench/load.py` starts the site with `scripts/serve.sh` (what `make
serve` runs: gunicorn, DEBUG off, whitenoise, the task worker) on 127.0.0.1,
against a throwaway PostgreSQL database and Redis database 13, with the demo
content of `seed_demo` and the page cache on as `make serve` has it
(`PAGE_CACHE_SECONDS` unset: 60 s with Redis). Its load generator is Python
threads with `http.client`, each waiting for its response before sending the
next request (a closed loop of {args.concurrency} clients, so requests/s and
latency trade against each other); a request's time includes opening its
connection, which gunicorn's sync workers close after every response. The
pages run {args.seconds:g} s each, one after the other, between two runs of
the baseline, each warmed up for {WARM_UP_SECONDS:g} s right before its run
(which fills the cache). The baseline `/healthz` runs the whole middleware stack but no
query and no template: the ratios say what each page costs beyond serving any
request at all, and *× baseline* is against the first baseline run (the
second shows how much the machine drifted meanwhile). *From the page cache*
is the page as an anonymous reader without cookies asks for it; *rendered* is
the same page asked with a parameter that the page cache leaves alone
(`?bench=1`), so every request renders it. The *signed-in reader* is a user
who is no author and no staff, signed in once (a session made by
`Client.force_login` in the site's own settings, `manage.py shell`), whose
session and CSRF cookies go with every request: a session cookie keeps the
page cache out, so every request renders the page. Its views count as any
reader's. Every article row is checked: in these rows views are counted in
the row (an F() UPDATE: `VIEW_BUFFER_URL` empty), and after each run the
article's `view_count` has grown by exactly the number of successful
requests (*views counted*). The last row is the anonymous article page
from the cache on the second site of the hot article below, whose views are
buffered in Redis as `make serve` counts them (`VIEW_BUFFER_URL` set; one
`flush_views` after the run, before the check), with its ratios against the
baseline run on that same gunicorn just before it. The last two columns are the rows of this table
as they were at {PREVIOUS_COMMIT} (`git show
{PREVIOUS_COMMIT}:docs/benchmarks.md`), before the article page was cached and
its Markdown stored rendered, measured on a quiet machine; that run had no
category, author or signed-in rows, and its article page was the anonymous
page rendered on every request (\\* the signed-in row is set against it, the
"today's rate" of issue 10). **This machine is shared and was busy during
this run**: requests/s from two runs are not comparable, the ratios to
`/healthz` measured in one run are what count."""
    hot_explanation = f"""\
**Hot article.** Every client reads the same article page at once, as an
anonymous reader, so the page cache serves it (*from cache*: the share of
responses that were hits; a hit counts its view before it is served), against
two sites up side by side on the same database: *in the row*, each view is an
F() UPDATE of the article (`VIEW_BUFFER_URL` empty); *buffered*, each view is
a Redis HINCRBY, in the Lua script that finds the page
(`blogsite/page_cache_front.py`), and `flush_views` (the task workers' periodic flush every 5 s,
and one more after the run) moves the counts into the row (`articles/view_counts.py`). The runs
alternate (in the row, buffered, buffered, in the row, …: neither mode always
goes first), {args.hot_seconds:g} s each; a figure is the median of the runs,
with the lowest and highest in brackets when they differ. Every run must be
exact: after it (and the final flush when buffered) the article's
`view_count` has grown by exactly the number of successful requests.

**What the figures mean.** With the page served from the cache, a request
is the cache lookup, the reader's CSRF token put into the stored page, and
the count: in the row, an UPDATE of the one article row that every request
takes in turn, committed (and fsynced) once per view, after the lookup's round
trip; buffered, nothing more: the lookup's one Lua script counts the view too.
Requests/s and latency on this machine are bound by CPU, shared by gunicorn,
PostgreSQL, Redis and the load generator; the table of single runs below
shows the run-to-run spread: compare the ranges, not only the medians; a run
while other work shares the cores can turn them round.
The figures that show the hotspot are read from PostgreSQL
around each run ({SETTLE_SECONDS} s after its last request, once every backend
has published its counters), per 1,000 successful views: *commits* is the rise
of `pg_stat_database.xact_commit` for the site's database, every transaction
included, and Django runs each query of a page in a transaction of its own,
so the reads of the page are in it for both modes and the difference between
the modes is the counting; *write transactions* are the transaction ids
PostgreSQL handed out (`pg_current_snapshot()`'s xmax), which a transaction
takes only when it first writes: one per view in the row, one per flush
buffered; *WAL KiB* is `pg_wal_lsn_diff` of `pg_current_wal_lsn()`, what the
server wrote to its log (and fsyncs at each commit); these two are counted
server-wide, and nothing else wrote during the runs but the sites' task
worker and flusher. *Lock-wait samples* is the share of samples, taken every
{LOCK_SAMPLE_INTERVAL * 1000:.0f} ms from the `postgres` database, in which at
least one of the site's backends waited for a lock (`wait_event_type` `Lock`
in `pg_stat_activity`: an UPDATE of the row waiting for the transaction
that updated it last to commit). The share estimates the part of the run
during which some backend was waiting, so a wait much shorter than the
interval is caught in proportion to its length; `pg_stat_database` has no
such counter (its `conflicts` are recovery conflicts on a standby, and
`deadlocks` are not waits). The second group runs {args.crowd_clients} clients against
{args.crowd_workers} workers per site, to give the row more writers at once."""
    if unavailable:
        hot_explanation += f"\n\nBuffered counting: {unavailable}."
    parts = [
        SECTION_START,
        "## Load: requests per second and latency",
        made_by,
        reflowed(explanation),
        pages_table(runs),
        reflowed(hot_explanation),
        hot_summary_table(hot, runs[0]),
        *([] if unavailable else [reflowed(hot_reading(hot, runs[0]))]),
        reflowed(CPU_EXPLANATION),
        cpu_table(hot, runs[0]),
        "Each run, in the order they ran:",
        hot_runs_table(hot),
        "**Issue 10's goals, against this run's figures** (ratios from this run; a goal against the figures"
        " before is compared as × /healthz, the one figure two runs share):",
        goals_table(runs, hot),
        SECTION_END,
    ]
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help=f"per page row, at most {MAX_SECONDS}")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--hot-seconds", type=float, default=6, help=f"per hot-article run, at most {MAX_SECONDS}")
    parser.add_argument("--rounds", type=int, default=3, help="hot-article runs of each mode")
    parser.add_argument(
        "--crowd-clients", type=int, default=24, help="client threads of the crowded hot article; 0: none"
    )
    parser.add_argument("--crowd-workers", type=int, default=6, help="gunicorn workers of the crowded hot article")
    parser.add_argument("--crowd-rounds", type=int, default=2, help="crowded hot-article runs of each mode")
    if SMOKE:
        # Every page and one hot-article run of each mode, for a moment, on few processes. The crowded
        # group (the same code on more processes) is left out: each site started costs seconds.
        parser.set_defaults(seconds=0.5, concurrency=2, workers=1, hot_seconds=0.5, rounds=1, crowd_clients=0)
    args = parser.parse_args(argv)
    for name in ("seconds", "hot_seconds"):
        if not 0 < getattr(args, name) <= MAX_SECONDS:
            parser.error(f"--{name.replace('_', '-')} must be more than 0 and at most {MAX_SECONDS}")
    if args.rounds < 1 or args.crowd_rounds < 1:
        parser.error("--rounds and --crowd-rounds must be at least 1")
    return args


def start_site(stack: ExitStack, mode: str, database_url: str, workers: int, log: Path) -> Site:
    env = site_environment(database_url, free_port(), workers, view_buffer_url=REDIS_URL if mode == BUFFERED else "")
    return Site(mode, env, stack.enter_context(running_site(env, log)))


def load_average() -> str:
    return " / ".join(f"{figure:.1f}" for figure in os.getloadavg())


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    args.load_before = load_average()
    try:
        # Checked, never flushed: a FLUSHDB here would wipe the live view hash of a run going on meanwhile.
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        print(f"Redis at {REDIS_URL} cannot be used: {error}", file=sys.stderr)
        return 1
    with throwaway_postgres_database("bench_load") as database_url:
        # Kept after the run: an inexact count is explained by what the sites logged.
        log = REPO_ROOT / ".venv" / "bench-load-serve.log"
        log.unlink(missing_ok=True)
        unavailable = ""
        if not (REPO_ROOT / "articles" / "view_counts.py").exists():
            unavailable = "not available yet: no articles/view_counts.py"
        with ExitStack() as stack:
            direct = start_site(stack, DIRECT, database_url, args.workers, log)
            sites = {DIRECT: direct}
            if not unavailable and not buffering_in_settings(
                site_environment(database_url, direct.port, args.workers, view_buffer_url=REDIS_URL)
            ):
                unavailable = "not available yet: settings do not read VIEW_BUFFER_URL"
            if not unavailable:
                sites[BUFFERED] = start_site(stack, BUFFERED, database_url, args.workers, log)
            runs = measure_pages(direct, database_url, args, sites.get(BUFFERED))
            variant = f"{args.concurrency} / {args.workers}"
            hot = measure_hot_article(
                sites, database_url, variant=variant, rounds=args.rounds, seconds=args.hot_seconds,
                concurrency=args.concurrency,
            )  # fmt: skip
        if args.crowd_clients:
            with ExitStack() as stack:
                modes = [DIRECT] if unavailable else [DIRECT, BUFFERED]
                sites = {mode: start_site(stack, mode, database_url, args.crowd_workers, log) for mode in modes}
                hot += measure_hot_article(
                    sites, database_url, variant=f"{args.crowd_clients} / {args.crowd_workers}",
                    rounds=args.crowd_rounds, seconds=args.hot_seconds, concurrency=args.crowd_clients,
                )  # fmt: skip
    args.load_after = load_average()
    print()
    print(pages_table(runs))
    print()
    print(hot_summary_table(hot, runs[0]))
    print()
    print(cpu_table(hot, runs[0]))
    print()
    print(hot_runs_table(hot))
    print()
    print(goals_table(runs, hot))
    write_section(__file__, section(runs, hot, unavailable, args, argv))
    failed = [run.label for run in [*runs, *(entry.run for entry in hot)] if run.failures or not run.successes]
    inexact = [run.label for run in runs if not run.exact] + [entry.run.label for entry in hot if not entry.exact]
    if failed or inexact:
        print(f"Failed requests: {failed}; inexact view counts: {inexact}", file=sys.stderr)
        print("What the sites logged: .venv/bench-load-serve.log", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
