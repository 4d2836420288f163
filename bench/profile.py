"""Where a page's time goes, before issue 10 and now: py-spy profiles of one gunicorn worker, side by side.

Usage: ``.venv/bin/python bench/profile.py [--before 5cc583c] [--seconds 6] [--rounds 3]``

The same site is started twice per round, one after the other, with ``scripts/serve.sh``
(what ``make serve`` runs: gunicorn, DEBUG off, the page cache and views
buffered in Redis) and one gunicorn worker, each on a throwaway PostgreSQL
database with its own demo content (``seed_demo``): the tree of the
revision ``--before`` (``git archive``, run with this checkout's virtualenv)
and this checkout, in turns (before, now; now, before; …) for ``--rounds``
rounds, so that a machine getting busier or quieter favours neither; a
page's rate is its median round (every round's is in the last table), its
samples those of every round. For each
page, ``bench/load.py``'s closed-loop generator runs for ``--seconds`` to
measure requests/s, then again while ``py-spy record`` samples the worker
(on-CPU samples only: a worker waiting in ``accept`` is not counted), and the
samples are summed into the parts below.
A sample counts towards every part one of its frames belongs to, so the parts
overlap (SQL inside a template is in both) and need not sum to 100 %.

The rates of the two trees come from one run of this script on one machine:
their ratio is the figure. Writes its section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import (  # noqa: E402
    SMOKE,
    command_line,
    markdown_table,
    reflowed,
    section_markers,
    throwaway_postgres_database,
    write_section,
)
from bench.load import (  # noqa: E402
    HOST,
    article_to_read,
    free_port,
    hammer,
    list_pages_to_read,
    running_site,
    signed_in_cookie,
    site_environment,
)

PY_SPY = REPO_ROOT / ".venv" / "bin" / "py-spy"
REDIS_URL = "redis://127.0.0.1:6379/12"
# The last commit before issue 10's work: Markdown rendered per request, no article page cache.
BEFORE = "5cc583c"
SAMPLES_PER_SECOND = 400


# --------------------------------------------------------------------------
# The parts a sample is summed into
# --------------------------------------------------------------------------

Frame = tuple[str, str]  # (function, file)


def in_file(*fragments: str) -> Callable[[Frame], bool]:
    return lambda frame: any(fragment in frame[1] for fragment in fragments)


def function(name: str, file_fragment: str) -> Callable[[Frame], bool]:
    return lambda frame: frame[0] == name and file_fragment in frame[1]


PARTS: list[tuple[str, Callable[[Frame], bool]]] = [
    # A hit the front answers never reaches WSGIHandler; everything else runs inside both.
    ("the front: the whole request (PageCacheFront)", function("PageCacheFront.__call__", "page_cache_front.py")),
    ("Django: the whole request (WSGIHandler)", function("WSGIHandler.__call__", "django/core/handlers/wsgi.py")),
    ("templates (django.template)", in_file("django/template/")),
    ("crispy-forms", in_file("crispy_forms/", "crispy_bootstrap5/")),
    ("Markdown and nh3", in_file("markdown_it/", "nh3", "articles/markdown.py")),
    ("ORM and SQL (django.db: models, queries; psycopg)", in_file("django/db/", "psycopg/")),
    ("Redis: every command (redis-py)", in_file("redis/")),
    ("Redis: a new client per cache call (Redis.__init__)", function("Redis.__init__", "redis/client.py")),
    # Not cached_view nor the middleware's __call__ itself: on a miss the view, or the rest of the stack, runs
    # inside them.
    (
        "page cache: lookup (and the front's count), rebuilt page, CSRF token",
        lambda frame: (
            ("blogsite/page_cache.py" in frame[1] or "blogsite/page_cache_front.py" in frame[1])
            and frame[0]
            not in {
                "cache_public_page.<locals>.cached_view",
                "cached_view",
                "PageCacheMiddleware.__call__",
                "PageCacheFront.__call__",
                "__call__",
            }
        ),
    ),
    ("counting the view (article_viewed)", function("record_view", "articles/view_counts.py")),
    ("URL reversing (reverse)", function("reverse", "django/urls/base.py")),
    ("gunicorn: parsing and writing HTTP", in_file("gunicorn/http/", "gunicorn/util.py")),
]

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>.*?)(?::\d+)?\)$")


@dataclass
class Profile:
    samples: int = 0
    parts: Counter = field(default_factory=Counter)
    own: Counter = field(default_factory=Counter)  # samples whose innermost frame is this function

    def share(self, part: str) -> float:
        return 100 * self.parts[part] / self.samples if self.samples else 0.0


def read_profile(raw: Path) -> Profile:
    """Sum py-spy's ``--format raw`` output (``frame;frame;… count`` lines) into PARTS."""
    profile = Profile()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = []
        for text in stack.split(";"):
            match = FRAME.match(text)
            frames.append((match["function"], match["file"]) if match else (text, ""))
        samples = int(count)
        profile.samples += samples
        for name, belongs in PARTS:
            if any(belongs(frame) for frame in frames):
                profile.parts[name] += samples
        function_name, file = frames[-1]
        profile.own[f"{function_name} ({short_path(file)})"] += samples
    return profile


def short_path(file: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file.removeprefix(str(REPO_ROOT) + "/")


# --------------------------------------------------------------------------
# The two sites
# --------------------------------------------------------------------------


@dataclass
class Page:
    label: str
    path: str
    signed_in: bool = False


@dataclass
class Measured:
    tree: str
    page: Page
    per_second: float
    errors: int
    profile: Profile
    worker_ms: float | None = None  # CPU milliseconds of the gunicorn worker per request (bench/cpu_use.py)
    rounds: tuple[float, ...] = ()  # every round's rate, in the order they ran
    worker_rounds: tuple[float | None, ...] = ()  # and its worker_ms


@contextmanager
def source_tree(revision: str | None) -> Iterator[Path]:
    """This checkout, or the tree of ``revision`` unpacked beside it, run with this checkout's virtualenv."""
    if revision is None:
        yield REPO_ROOT
        return
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        tree = Path(scratch) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "archive", revision], cwd=REPO_ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        (tree / ".venv").symlink_to(REPO_ROOT / ".venv")
        yield tree


@contextmanager
def running_tree(tree: Path, database_url: str, log: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    env = site_environment(database_url, port, 1, view_buffer_url=REDIS_URL)
    env["REDIS_URL"] = REDIS_URL
    env["VIEW_BUFFER_PREFIX"] = f"bench-profile-{port}:views"
    with running_site(env, log, root=tree):
        yield env


def gunicorn_worker(port: int) -> int:
    """The pid of the one gunicorn worker serving ``port`` (the child of its master)."""
    found = subprocess.run(["pgrep", "-f", f"gunicorn .*--bind {HOST}:{port}"], capture_output=True, text=True)
    pids = sorted(int(pid) for pid in found.stdout.split())
    if len(pids) != 2:
        raise SystemExit(f"Expected a gunicorn master and one worker on port {port}, found {pids}")
    return pids[1]  # the worker is forked after its master


def measure_tree(tree_name: str, tree: Path, pages: list[Page], args: argparse.Namespace, log: Path) -> list[Measured]:
    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()  # never flushed: other runs share it
    results = []
    with (
        throwaway_postgres_database("bench_profile") as database_url,
        running_tree(tree, database_url, log) as env,
        tempfile.TemporaryDirectory() as scratch,
    ):
        port = int(env["PORT"])
        worker = gunicorn_worker(port)
        slug, _ = article_to_read(database_url)
        category, author = list_pages_to_read(database_url, slug)
        cookie = signed_in_cookie(env, root=tree)
        for page in pages:
            path = page.path.format(slug=slug, category=category, author=author)
            headers_cookie = cookie if page.signed_in else ""
            hammer(port, path, seconds=1, concurrency=args.concurrency, cookie=headers_cookie)  # warm up
            run = hammer(port, path, seconds=args.seconds, concurrency=args.concurrency, cookie=headers_cookie)
            raw = Path(scratch) / f"{len(results)}.txt"
            spy = subprocess.Popen(
                [str(PY_SPY), "record", "--pid", str(worker), "--duration", str(int(args.seconds)), "--rate",
                 str(SAMPLES_PER_SECOND), "--format", "raw", "--output", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            hammer(port, path, seconds=args.seconds + 1, concurrency=args.concurrency, cookie=headers_cookie)
            spy.wait(timeout=60)
            profile = read_profile(raw) if raw.exists() else Profile()
            errors = sum(run.failures.values())
            rate = f"{run.per_second:.0f} req/s" + (
                ""
                if run.cpu.ms_per(run.successes, "gunicorn") is None
                else f", worker {run.cpu.ms_per(run.successes, 'gunicorn'):.2f} ms CPU per request"
            )
            print(f"{tree_name}, {page.label}, {path}: {rate}, {profile.samples} samples", flush=True)
            worker_ms = run.cpu.ms_per(run.successes, "gunicorn")  # the worker; its master sleeps
            results.append(Measured(tree_name, page, run.per_second, errors, profile, worker_ms))
    return results


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

PAGES = [
    Page("baseline: /healthz", "/healthz"),
    Page("article, anonymous reader", "/articles/{slug}/"),
    Page("article, signed-in reader", "/articles/{slug}/", signed_in=True),
    Page("home, rendered (`?bench=1`)", "/?bench=1"),
    Page("category, rendered (`?bench=1`)", "/categories/{category}/?bench=1"),
    Page("author, rendered (`?bench=1`)", "/authors/{author}/?bench=1"),
    Page("home, anonymous reader", "/"),
]


def rates_table(before: list[Measured], now: list[Measured]) -> str:
    rows = []
    for old, new in zip(before, now, strict=True):
        rows.append([
            new.page.label,
            f"{old.per_second:.0f}",
            f"{old.per_second / before[0].per_second:.2f}",
            f"{new.per_second:.0f}",
            f"{new.per_second / now[0].per_second:.2f}",
            f"{new.per_second / old.per_second:.2f}",
            f"{paired_ratio(old, new):.2f}",
            # Each tree against its own baseline: the machine may drift between the two halves of the run.
            f"{(new.per_second / now[0].per_second) / (old.per_second / before[0].per_second):.2f}",
            cost_cell(old.worker_ms),
            cost_cell(new.worker_ms),
            f"{old.worker_ms / new.worker_ms:.2f}" if old.worker_ms and new.worker_ms else "—",
            str(old.errors + new.errors),
        ])  # fmt: skip
    headers = [
        "page", "before req/s", "before × /healthz", "now req/s", "now × /healthz", "now / before",
        "now / before, paired by round", "now / before, each × its /healthz", "before: worker CPU ms / request",
        "now: worker CPU ms / request", "before / now, worker CPU", "errors",
    ]  # fmt: skip
    return markdown_table(headers, rows, right_aligned=set(range(1, len(headers))))


def round_ratios(old: Measured, new: Measured) -> list[float]:
    """Each round's rate of the page now over its rate before, both measured within minutes of each other."""
    return [now / before for before, now in zip(old.rounds, new.rounds, strict=True)]


def paired_ratio(old: Measured, new: Measured) -> float:
    # The median of the rounds' ratios: a round that the machine slowed for
    # both trees moves it less than it moves either tree's median rate.
    return statistics.median(round_ratios(old, new))


def cost_cell(worker_ms: float | None) -> str:
    return "—" if worker_ms is None else f"{worker_ms:.2f}"


def rounds_table(before: list[Measured], now: list[Measured]) -> str:
    def each(measured: Measured) -> str:
        return " · ".join(f"{rate:.0f}" for rate in measured.rounds)

    def each_cost(measured: Measured) -> str:
        return " · ".join(cost_cell(cost) for cost in measured.worker_rounds)

    rows = [
        [
            new.page.label, each(old), each(new), " · ".join(f"{ratio:.2f}" for ratio in round_ratios(old, new)),
            each_cost(old), each_cost(new),
        ]
        for old, new in zip(before, now, strict=True)
    ]  # fmt: skip
    headers = [
        "page", "before req/s, each round", "now req/s, each round", "now / before, each round",
        "before: worker CPU ms / request, each round", "now: worker CPU ms / request, each round",
    ]  # fmt: skip
    return markdown_table(headers, rows, right_aligned={1, 2, 3, 4, 5})


def parts_table(old: Measured, new: Measured) -> str:
    rows = [[name, f"{old.profile.share(name):.1f} %", f"{new.profile.share(name):.1f} %"] for name, _ in PARTS]
    rows.append(["samples", str(old.profile.samples), str(new.profile.samples)])
    return markdown_table(["part of the worker's samples", "before", "now"], rows, right_aligned={1, 2})


def top_functions(measured: Measured, count: int = 8) -> str:
    total = measured.profile.samples or 1
    rows = [[name, f"{100 * samples / total:.1f} %"] for name, samples in measured.profile.own.most_common(count)]
    return markdown_table(["function, innermost frame (now)", "samples"], rows, right_aligned={1})


COST_EXPLANATION = """\
*Worker CPU ms / request* is the CPU time (user and system, from /proc) that
the one gunicorn worker spent during a page's measured run, divided by the
requests it answered (`bench/cpu_use.py`); a page's figure is its median
round. *Paired by round* is the median of each round's ratio of the two
trees' rates, measured a couple of minutes apart: a stretch of time in which
the machine was busier slows both, and moves this ratio less than either
median rate. The worker's one core bounds its rate, so the rate is about the
inverse of that cost: *before / now, worker CPU* is how many times less CPU a
request costs now. It is no steadier than the rate on a busy machine (shared
caches and cores make the same request cost more: see the rounds below), but
it says what a request costs, not how long it waited."""


def section(before: list[Measured], now: list[Measured], args: argparse.Namespace, argv: list[str]) -> str:
    today = datetime.date.today().isoformat()
    start, end = section_markers(__file__)
    parts = [
        start,
        "",
        "## Profiles: where a page's time goes, before issue 10 and now",
        "",
        f"Made by `{command_line(__file__, argv)}` on {today}: one gunicorn worker, "
        f"{args.concurrency} client threads, {args.rounds} rounds, {args.seconds:g} s per page and as long again under "
        f"py-spy at {SAMPLES_PER_SECOND} samples/s; *before* is `{args.before}` (Markdown rendered on every "
        "request, the article page never cached, a Redis client made per cache call), *now* this checkout, "
        "each on its own throwaway database with its own demo content.",
        "",
        reflowed(__doc__.split("\n\n")[2]),
        "",
        "### Requests per second and the worker's CPU per request, both trees in this run",
        "",
        reflowed(COST_EXPLANATION),
        "",
        rates_table(before, now),
        "",
    ]
    for old, new in zip(before[1:], now[1:], strict=True):
        parts += [f"### {new.page.label}", "", parts_table(old, new), "", top_functions(new), ""]
    parts += ["### Every round, in the order they ran", "", rounds_table(before, now), ""]
    parts.append(end)
    return "\n".join(parts).rstrip() + "\n"


def combined(rounds: list[list[Measured]]) -> list[Measured]:
    """Each page's median rate over the rounds, every sample.

    The median, not the best: one round of one page once ran at twice its
    other rounds (the before tree's category page, 153 req/s against 80 and 79)
    while the pages around it did not move, which a best round would take as
    the tree's rate.
    """
    pages = []
    for runs in zip(*rounds, strict=True):
        profile = Profile()
        for run in runs:
            profile.samples += run.profile.samples
            profile.parts.update(run.profile.parts)
            profile.own.update(run.profile.own)
        rates = tuple(run.per_second for run in runs)
        costs = tuple(run.worker_ms for run in runs)
        known = [cost for cost in costs if cost is not None]
        pages.append(
            Measured(
                runs[0].tree, runs[0].page, statistics.median(rates), sum(run.errors for run in runs), profile,
                statistics.median(known) if known else None, rates, costs,
            )
        )  # fmt: skip
    return pages


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="the revision to compare with")
    parser.add_argument("--seconds", type=float, default=6, help="per page, and as long again under py-spy")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--rounds", type=int, default=3, help="runs of both trees, in alternating order")
    if SMOKE:
        # Both trees, every page, for a moment: the script still runs end to end (make bench-smoke).
        parser.set_defaults(seconds=1, concurrency=2, rounds=1)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not PY_SPY.exists():
        print("py-spy is missing: make install (requirements-dev.txt)", file=sys.stderr)
        return 1
    known = subprocess.run(["git", "cat-file", "-e", f"{args.before}^{{commit}}"], cwd=REPO_ROOT, capture_output=True)
    if known.returncode != 0:
        print(f"{args.before} is not in this clone (a shallow one?): nothing to compare with", file=sys.stderr)
        return 0 if SMOKE else 1
    with tempfile.TemporaryDirectory(prefix="bench-profile-log-") as scratch:
        log = Path(scratch) / "serve.log"
        try:
            with source_tree(args.before) as tree:
                trees = [("before", tree), ("now", REPO_ROOT)]
                rounds: dict[str, list[list[Measured]]] = {"before": [], "now": []}
                for number in range(args.rounds):
                    # Alternating, so that a machine getting busier or quieter
                    # during the run favours neither tree.
                    for name, root in trees if number % 2 == 0 else trees[::-1]:
                        rounds[name].append(measure_tree(name, root, PAGES, args, log))
            before, now = combined(rounds["before"]), combined(rounds["now"])
        except BaseException:
            shutil.copy(log, REPO_ROOT / ".venv" / "bench-profile-serve.log")
            print("The sites' log: .venv/bench-profile-serve.log", file=sys.stderr)
            raise
    text = section(before, now, args, argv)
    print(text)
    write_section(__file__, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
