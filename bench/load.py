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
with a final ``manage.py flush_views``); either way the article's
``view_count`` must have grown by exactly the number of successful requests.

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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on sys.path, not the project.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    DOC_PATH,
    command_line,
    markdown_table,
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
WARM_UP_SECONDS = 1.0
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


@dataclass
class HotArticle:
    mode: str
    run: Run | None = None
    counted: int | None = None
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.run is not None and self.counted == self.run.successes


def warm_up(port: int, paths: list[str], concurrency: int) -> None:
    # Every worker compiles its templates and opens its database connection.
    for path in paths:
        hammer(port, path, seconds=WARM_UP_SECONDS, concurrency=concurrency)


def measure_pages(port: int, database_url: str, args: argparse.Namespace) -> tuple[list[Run], HotArticle]:
    """The pages, then the article page, whose views are counted in its row (VIEW_BUFFER_URL empty)."""
    slug, _views = article_to_read(database_url)
    pages = [
        ("baseline: /healthz", "/healthz"),
        ("home, anonymous (page cache)", "/"),
        ("home, rendered (page cache bypassed)", "/?bench=1"),
    ]
    article = f"/articles/{slug}/"
    warm_up(port, [path for _label, path in pages] + [article], args.concurrency)
    runs = [
        hammer(port, path, seconds=args.seconds, concurrency=args.concurrency, label=label) for label, path in pages
    ]
    before = view_count(database_url, slug)
    run = hammer(port, article, seconds=args.seconds, concurrency=args.concurrency, label="article page")
    hot = HotArticle(mode="in the row (F() UPDATE)", run=run, counted=view_count(database_url, slug) - before)
    return [*runs, run], hot


def measure_buffered_hot_article(env: dict[str, str], database_url: str, log: Path, args) -> HotArticle:
    """The same article page with views buffered in Redis; a final flush_views must make the count exact."""
    with running_site(env, log) as port:
        slug, _views = article_to_read(database_url)
        article = f"/articles/{slug}/"
        warm_up(port, ["/healthz", article], args.concurrency)
        manage(env, "flush_views")  # the warm-up's views, out of the way
        before = view_count(database_url, slug)
        run = hammer(port, article, seconds=args.seconds, concurrency=args.concurrency, label="article page")
    # The site is stopped (its periodic flusher too): nothing is buffered after this flush.
    manage(env, "flush_views")
    return HotArticle(mode="buffered in Redis (flush_views)", run=run, counted=view_count(database_url, slug) - before)


def buffering_in_settings(env: dict[str, str]) -> bool:
    probe = "from django.conf import settings; print(bool(getattr(settings, 'VIEW_BUFFER_URL', '')))"
    return manage(env, "shell", "--no-imports", "-c", probe) == "True"


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


def hot_table(hot: list[HotArticle], baseline: Run) -> str:
    headers = [
        "views counted",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "× baseline req/s",
        "successful",
        "view_count +",
        "exact",
    ]
    rows = []
    for entry in hot:
        if entry.run is None:
            rows.append([entry.mode, entry.note, "", "", "", "", "", ""])
            continue
        run = entry.run
        rows.append(
            [
                entry.mode,
                f"{run.per_second:.0f}",
                f"{run.percentile_ms(50):.1f}",
                f"{run.percentile_ms(99):.1f}",
                f"{run.per_second / baseline.per_second:.2f}",
                str(run.successes),
                str(entry.counted),
                "yes" if entry.exact else "**no**",
            ]
        )
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def section(runs: list[Run], hot: list[HotArticle], args: argparse.Namespace, argv: list[str]) -> str:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    made_by = (
        f"Made by `{command_line(__file__, argv, executable=PYTHON)}` on {today}: "
        f"{os.cpu_count()} CPU cores shared by the server, "
        f"PostgreSQL, Redis and the load generator; gunicorn {args.workers} sync workers; "
        f"{args.concurrency} client threads; {args.seconds:g} s per row; Python {platform.python_version()}."
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
    hot_explanation = """\
**Hot article.** Every client reads the same article page at once. *In the
row*: each view is an F() UPDATE of the article (`VIEW_BUFFER_URL` empty);
*buffered*: each view is a Redis HINCRBY and `flush_views` moves the counts into
the row (`articles/view_counts.py`). After the run (and a final
`manage.py flush_views` when buffered) the article's `view_count` must have
grown by exactly the number of successful requests."""
    parts = [
        SECTION_START,
        "## Load: requests per second and latency",
        made_by,
        reflowed(explanation),
        pages_table(runs),
        reflowed(hot_explanation),
        hot_table(hot, runs[0]),
        SECTION_END,
    ]
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help=f"per measured row, at most {MAX_SECONDS}")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be more than 0 and at most {MAX_SECONDS}")
    return args


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
        direct = site_environment(database_url, free_port(), args.workers, view_buffer_url="")
        with running_site(direct, log) as port:
            runs, in_the_row = measure_pages(port, database_url, args)
        hot = [in_the_row]
        buffered = site_environment(database_url, free_port(), args.workers, view_buffer_url=REDIS_URL)
        if not (REPO_ROOT / "articles" / "view_counts.py").exists():
            hot.append(HotArticle("buffered in Redis", note="not available yet: no articles/view_counts.py"))
        elif not buffering_in_settings(buffered):
            hot.append(HotArticle("buffered in Redis", note="not available yet: settings do not read VIEW_BUFFER_URL"))
        else:
            hot.append(measure_buffered_hot_article(buffered, database_url, log, args))
    print()
    print(pages_table(runs))
    print()
    print(hot_table(hot, runs[0]))
    write_section(__file__, section(runs, hot, args, argv))
    print(f"\nWrote {DOC_PATH.relative_to(REPO_ROOT)}")
    failed = [run.label for run in [*runs, *(h.run for h in hot[1:] if h.run)] if run.failures or not run.successes]
    inexact = [entry.mode for entry in hot if entry.run is not None and not entry.exact]
    if failed or inexact:
        print(f"Failed requests: {failed}; inexact view counts: {inexact}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
