"""Helpers shared by the scripts in ``bench/``: throwaway databases, child processes, tables, docs sections.

No Django import at module level: the scripts import this module before
``django.setup()``, and some of them choose ``DATABASE_URL`` before Django
reads the settings. What needs Django imports it where it runs.

``BENCH_SMOKE=1`` (``make bench-smoke``, which CI runs) makes every script run
each of its code paths once, checks included, on the smallest data and the
fewest rounds, and leave ``docs/benchmarks.md`` alone: a renamed receiver or
service breaks CI rather than the next benchmark day. The child processes
inherit the variable with the rest of the environment.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import textwrap
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC_PATH = REPO_ROOT / "docs" / "benchmarks.md"

# The server on which a private database is created and dropped; the database
# named in this URL is only used to issue CREATE/DROP DATABASE.
POSTGRES_SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://root@127.0.0.1:5432/postgres")
SMOKE = os.environ.get("BENCH_SMOKE", "") == "1"


# --------------------------------------------------------------------------
# Throwaway PostgreSQL databases
# --------------------------------------------------------------------------


def postgres_admin_connection(server_url: str = POSTGRES_SERVER_URL) -> psycopg.Connection:
    config = dj_database_url.parse(server_url)
    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname=config["NAME"] or "postgres",
        autocommit=True,  # CREATE/DROP DATABASE cannot run inside a transaction
        connect_timeout=5,
    )


@contextmanager
def throwaway_postgres_database(
    prefix: str,
    server_url: str = POSTGRES_SERVER_URL,
    *,
    force_drop: bool = True,
    before_drop: Callable[[], None] | None = None,
) -> Iterator[str]:
    """A database of our own on the shared server, dropped afterwards; yields its URL.

    ``prefix`` names the script (``bench_writes``); ``force_drop`` drops it
    ``WITH (FORCE)``, whatever still holds a connection to it; ``before_drop``
    runs first, e.g. to close this process's own connections.
    """
    # The pid keeps two runs at once (and every other database) out of each other's way.
    name = f"{prefix}_{os.getpid()}"
    drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)" if force_drop else "DROP DATABASE IF EXISTS {}"
    with postgres_admin_connection(server_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urllib.parse.urlsplit(server_url)._replace(path=f"/{name}").geturl()
        finally:
            if before_drop is not None:
                before_drop()
            admin.execute(sql.SQL(drop).format(sql.Identifier(name)))


# --------------------------------------------------------------------------
# Measuring in a child process
# --------------------------------------------------------------------------


class MeasurementFailed(Exception):
    pass


def measure_in_subprocess(script: str | Path, database_url: str, argv: list[str]) -> dict[str, Any]:
    """Run ``script`` again with ``DATABASE_URL`` set (settings read it at import time) and ``--measure-into``.

    The child writes its figures as JSON into the file named after ``--measure-into``; this returns them.
    """
    script = Path(script).resolve()
    with tempfile.TemporaryDirectory(prefix=f"bench-{script.stem}-") as scratch:
        output = Path(scratch) / "result.json"
        env = {**os.environ, "DATABASE_URL": database_url}
        env.pop("REDIS_URL", None)  # the cache plays no part in these measurements
        command = [sys.executable, str(script), *argv, "--measure-into", str(output)]
        completed = subprocess.run(command, env=env, cwd=REPO_ROOT, check=False)
        if completed.returncode != 0:
            raise MeasurementFailed(f"measurement on {database_url} exited with {completed.returncode}")
        return json.loads(output.read_text())


def measure_in_throwaway_database(script: str | Path, name: str, argv: list[str]) -> dict[str, Any] | None:
    """``measure_in_subprocess`` on a database made for the run and dropped after it; None (said why) if it failed.

    ``--no-write`` is the parent's business: the child never sees it.
    """
    child_argv = [argument for argument in argv if argument != "--no-write"]
    try:
        with throwaway_postgres_database(name) as url:
            return measure_in_subprocess(script, url, child_argv)
    except psycopg.Error as error:
        print(f"PostgreSQL at {POSTGRES_SERVER_URL} cannot be used: {str(error).strip()}", file=sys.stderr)
    except MeasurementFailed as error:
        print(error, file=sys.stderr)
    return None


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------


def markdown_table(headers: list[str], rows: list[list[str]], right_aligned: set[int]) -> str:
    """A Markdown table padded to line up in plain text; ``right_aligned`` holds column indexes."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(w) if i in right_aligned else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w - 1) + ":" if i in right_aligned else "-" * w for i, w in enumerate(widths)]
    return "\n".join([line(headers), line(rule), *(line(row) for row in rows)])


def script_name(script: str | Path) -> str:
    """``bench/writes.py``: the script as run from the repository root."""
    return Path(script).resolve().relative_to(REPO_ROOT).as_posix()


def command_line(script: str | Path, argv: list[str], executable: str | Path = sys.executable) -> str:
    """The command that ran ``script``, as typed from the repository root."""
    executable = Path(executable)
    if executable.is_relative_to(REPO_ROOT):
        executable = executable.relative_to(REPO_ROOT)
    return shlex.join([str(executable), script_name(script), *argv])


def reflowed(text: str) -> str:
    # The explanations are f-strings: wrap them again once the figures are in.
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=78) for p in text.split("\n\n"))


def section_markers(script: str | Path) -> tuple[str, str]:
    """``<!-- bench/writes.py:start -->`` and ``…:end -->``: where the script's section of the document lies."""
    name = script_name(script)
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def updated_document(existing: str, section: str, markers: tuple[str, str]) -> str:
    """The document with the section between ``markers`` replaced, or appended if it has none."""
    start_marker, end_marker = markers
    start, end = existing.find(start_marker), existing.find(end_marker)
    if start == -1 or end == -1 or end < start:
        return f"{existing.rstrip()}\n\n{section}"
    after = existing[end + len(end_marker) :].lstrip("\n")
    return existing[:start] + section + ("\n" + after if after else "")


def write_section(script: str | Path, section: str, *, header: str = "# Benchmarks\n") -> None:
    """Replace the script's section of docs/benchmarks.md (or append it); leave the rest alone.

    ``header`` begins the document when there is none yet. A smoke run's
    figures describe nothing: it writes nothing.
    """
    if SMOKE:
        print(f"\nSmoke run ({script_name(script)}): {DOC_PATH.relative_to(REPO_ROOT)} left as it is")
        return
    # Read right before writing: other scripts own other sections of the same file.
    existing = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else header
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(updated_document(existing, section, section_markers(script)), encoding="utf-8")
    print(f"\nWrote {DOC_PATH.relative_to(REPO_ROOT)}")
