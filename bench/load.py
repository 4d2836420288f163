"""Requests per second and latency of the site served as `make serve` serves it.

Run from the repository root::

    .venv/bin/python bench/load.py [--seconds 8] [--concurrency 8] [--workers 3]

The script starts the site itself with ``scripts/serve.sh`` (gunicorn with
several workers, DEBUG off, static files by whitenoise, the task worker) on
127.0.0.1 only, against a throwaway PostgreSQL database that it creates and
drops and Redis database 13, flushed at the start. ``serve.sh`` migrates and
seeds the demo site. A load generator written here (threads, ``http.client``,
one connection per thread, reopened whenever the server closes it) then asks
for each page for ``--seconds`` (at most 20) and reports requests per second
and p50/p99 latency, next to a baseline view served by the same gunicorn
(``/healthz``: no database, no template).

The hot-article comparison hammers one article page with every thread, with
views counted by an F() UPDATE of the row (``VIEW_BUFFER_URL`` empty) and, when
``articles/view_counts.py`` exists, buffered in Redis (``VIEW_BUFFER_URL`` set,
with a final ``manage.py flush_views``), two sites up side by side on the same
database and their runs interleaved (``--rounds`` of each, ``--hot-seconds``
each; then ``--crowd-rounds`` with ``--crowd-clients`` and
``--crowd-workers``). Each run must be exact: the article's ``view_count``
grows by exactly the number of successful requests. Throughput is bound by
rendering the page, so PostgreSQL's own counters are read around each run as
well: commits (``pg_stat_database.xact_commit``), write transactions
(transaction ids handed out), WAL bytes (``pg_wal_lsn_diff``) per 1,000 views,
and how often a backend of the site waited for a lock (``pg_stat_activity``,
sampled). The whole script takes about five minutes.

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
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    cache_hits: int = 0

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


def hammer(port: int, path: str, *, seconds: float, concurrency: int, label: str = "") -> Run:
    """Every thread asks for ``path`` again and again until ``seconds`` have passed.

    A thread never leaves a request unanswered: it checks the deadline before
    sending, then waits for the whole response, so every request the server
    handled is counted here as a success or a failure.
    """
    run = Run(label=label or path, path=path)
    if label:
        print(f"{label}: {seconds:g} s of GET {path}", flush=True)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        latencies, failures, hits = [], Counter(), 0
        connection = None
        while time.perf_counter() < deadline:
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
            started = time.perf_counter()
            try:
                connection.request("GET", path)
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
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
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
def running_site(env: dict[str, str], log: Path) -> Iterator[int]:
    """``scripts/serve.sh`` in its own process group; yields the port once /healthz answers."""
    port = int(env["PORT"])
    with log.open("ab") as output:
        process = subprocess.Popen(
            ["sh", "scripts/serve.sh"], cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
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


def manage(env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
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


def measure_pages(port: int, database_url: str, args: argparse.Namespace) -> list[Run]:
    """The pages, then the article page, whose views are counted in its row (VIEW_BUFFER_URL empty)."""
    slug, _views = article_to_read(database_url)
    pages = [
        ("baseline: /healthz", "/healthz"),
        ("home, anonymous (page cache)", "/"),
        ("home, rendered (page cache bypassed)", "/?bench=1"),
        ("article page", f"/articles/{slug}/"),
    ]
    warm_up(port, [path for _label, path in pages], args.concurrency)
    return [
        hammer(port, path, seconds=args.seconds, concurrency=args.concurrency, label=label) for label, path in pages
    ]


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


def pages_table(runs: list[Run]) -> str:
    baseline = runs[0]
    headers = ["page", "requests/s", "p50 ms", "p99 ms", "× baseline req/s", "× baseline p50", "from cache", "errors"]
    rows = [
        [
            run.label,
            f"{run.per_second:.0f}",
            f"{run.percentile_ms(50):.1f}",
            f"{run.percentile_ms(99):.1f}",
            f"{run.per_second / baseline.per_second:.2f}" if baseline.per_second else "—",
            f"{run.percentile_ms(50) / baseline.percentile_ms(50):.2f}" if baseline.latencies else "—",
            f"{100 * run.cache_hits / run.successes:.0f} %" if run.successes else "—",
            failures_cell(run),
        ]
        for run in runs
    ]
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


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
                f"{sum(entry.exact for entry in entries)}/{len(entries)}",
            ]
        )
    return markdown_table(headers, rows, right_aligned=set(range(2, len(headers))))


def waits(entries: list[HotRun]) -> list[float]:
    return [100 * entry.locks.with_waiter / max(entry.locks.samples, 1) for entry in entries]


def hot_reading(hot: list[HotRun]) -> str:
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
            f"and {spread(waits(buffered), '.0f')} % buffered."
        )
    return "**Reading this run.** " + " ".join(sentences)


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
        ]
        for entry in hot
    ]
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def server_version() -> str:
    with postgres_admin_connection() as admin:
        return admin.execute("SHOW server_version").fetchone()[0].split()[0]


def section(runs: list[Run], hot: list[HotRun], unavailable: str, args: argparse.Namespace, argv: list[str]) -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    made_by = (
        f"Made by `{command_line(__file__, argv, executable=PYTHON)}` on {today}: "
        f"{os.cpu_count()} CPU cores shared by the server, "
        f"PostgreSQL, Redis and the load generator; gunicorn {args.workers} sync workers; "
        f"{args.concurrency} client threads; {args.seconds:g} s per page row, {args.hot_seconds:g} s per "
        f"hot-article run ({args.rounds} of each mode, then {args.crowd_rounds} with {args.crowd_clients} clients "
        f"and {args.crowd_workers} workers); Python {platform.python_version()}; PostgreSQL "
        f"{server_version()}."
    )
    explanation = f"""\
**How.** `bench/load.py` starts the site with `scripts/serve.sh` (what `make
serve` runs: gunicorn, DEBUG off, whitenoise, the task worker) on 127.0.0.1,
against a throwaway PostgreSQL database and Redis database 13, with the demo
content of `seed_demo`. Its load generator is Python threads with
`http.client`, each waiting for its response before sending the next request
(a closed loop of {args.concurrency} clients, so requests/s and latency trade
against each other); a request's time includes opening its connection, which
gunicorn's sync workers close after every response. Each page is warmed up
for {WARM_UP_SECONDS:g} s first. The baseline `/healthz` runs the whole
middleware stack but no query and no template: the ratios say what each page
costs beyond serving any request at all. *Rendered* home is the same page
asked with a parameter that the page cache leaves alone (`?bench=1`), so
every request renders it. Figures from one shared machine are indicative;
the ratios are the figure to compare."""
    hot_explanation = f"""\
**Hot article.** Every client reads the same article page at once, against
two sites up side by side on the same database: *in the row*, each view is an
F() UPDATE of the article (`VIEW_BUFFER_URL` empty); *buffered*, each view is
a Redis HINCRBY and `flush_views` (the task workers' periodic flush every 5 s,
and one more after the run) moves the counts into the row (`articles/view_counts.py`). The runs
alternate (in the row, buffered, buffered, in the row, …: neither mode always
goes first), {args.hot_seconds:g} s each; a figure is the median of the runs,
with the lowest and highest in brackets when they differ. Every run must be
exact: after it (and the final flush when buffered) the article's
`view_count` has grown by exactly the number of successful requests.

**What the figures mean.** Requests/s and latency on this machine are bound
by CPU, and rendering the page (its queries and template, about as costly as
the rendered home page above) takes nearly all of it; counting the view is a
small part of a request either way (one UPDATE, or one HINCRBY, next to the
page's read queries and its template), so a difference in requests/s between
the modes is small next to the run-to-run noise of a shared 2-core machine
(the table of single runs below shows the spread): compare the ranges, not
only the medians; a run while other work shares the cores can turn them round.
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
        *([] if unavailable else [reflowed(hot_reading(hot))]),
        "Each run, in the order they ran:",
        hot_runs_table(hot),
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


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).flushdb()
    except redis.RedisError as error:
        print(f"Redis at {REDIS_URL} cannot be used: {error}", file=sys.stderr)
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="bench-load-") as scratch,
        throwaway_postgres_database("bench_load") as database_url,
    ):
        log = Path(scratch) / "serve.log"
        unavailable = ""
        if not (REPO_ROOT / "articles" / "view_counts.py").exists():
            unavailable = "not available yet: no articles/view_counts.py"
        with ExitStack() as stack:
            direct = start_site(stack, DIRECT, database_url, args.workers, log)
            runs = measure_pages(direct.port, database_url, args)
            sites = {DIRECT: direct}
            if not unavailable and not buffering_in_settings(
                site_environment(database_url, direct.port, args.workers, view_buffer_url=REDIS_URL)
            ):
                unavailable = "not available yet: settings do not read VIEW_BUFFER_URL"
            if not unavailable:
                sites[BUFFERED] = start_site(stack, BUFFERED, database_url, args.workers, log)
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
    print()
    print(pages_table(runs))
    print()
    print(hot_summary_table(hot, runs[0]))
    print()
    print(hot_runs_table(hot))
    write_section(__file__, section(runs, hot, unavailable, args, argv))
    failed = [run.label for run in [*runs, *(entry.run for entry in hot)] if run.failures or not run.successes]
    inexact = [entry.run.label for entry in hot if not entry.exact]
    if failed or inexact:
        print(f"Failed requests: {failed}; inexact view counts: {inexact}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
