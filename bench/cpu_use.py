"""CPU time spent during a benchmark run, by kind of process, read from /proc (Linux).

On a machine whose cores the server, PostgreSQL, Redis and the load
generator share, requests/s is bound by CPU: a mode of serving a page can be
at most as many times faster than another as it costs less CPU per request.
``CpuUse`` says where that CPU went, so a ratio of two runs can be read
against the ratio of their costs.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
MACHINE = "machine"
# The kinds, in the order tables show them; everything else is "other".
KINDS = ("gunicorn", "PostgreSQL", "Redis", "load generator", "other")


def kind_of(pid: int, command: str) -> str:
    if pid == os.getpid():
        return "load generator"
    if "gunicorn" in command:
        return "gunicorn"
    if command.startswith("postgres"):
        return "PostgreSQL"
    if "redis-server" in command:
        return "Redis"
    return "other"


def process_ticks() -> Counter:
    """User and system clock ticks of every live process (all its threads), by (kind, pid)."""
    ticks = Counter()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command name in brackets may hold spaces: the fields start after its ")".
        fields = stat.rsplit(")", 1)[1].split()
        pid = int(entry.name)
        ticks[(kind_of(pid, command), pid)] = int(fields[11]) + int(fields[12])
    return ticks


def machine_ticks() -> int:
    """Ticks the cores spent working: /proc/stat's user, nice, system, irq and softirq (not idle, iowait, steal)."""
    user, nice, system, _idle, _iowait, irq, softirq, *_rest = (
        int(value) for value in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]
    )
    return user + nice + system + irq + softirq


@dataclass(frozen=True)
class Snapshot:
    processes: Counter
    machine: int

    @classmethod
    def now(cls) -> Snapshot:
        return cls(process_ticks(), machine_ticks())


def available() -> bool:
    return (PROC / "stat").exists()


class CpuUse:
    """CPU seconds between ``start()`` and ``stop()``, by kind, and the whole machine's."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start: Snapshot | None = None

    def start(self) -> None:
        if available():
            self._start = Snapshot.now()

    def stop(self) -> None:
        if self._start is None:
            return
        end = Snapshot.now()
        spent = Counter()
        for (kind, pid), ticks in end.processes.items():
            # A process started during the run counts from zero.
            spent[kind] += ticks - self._start.processes.get((kind, pid), 0)
        spent[MACHINE] = end.machine - self._start.machine
        self.seconds = {kind: ticks / TICKS_PER_SECOND for kind, ticks in spent.items()}

    def ms_per(self, requests: int, kind: str = MACHINE) -> float | None:
        """Milliseconds of CPU per request, or None when nothing was measured."""
        if not self.seconds or not requests:
            return None
        return 1000 * self.seconds.get(kind, 0.0) / requests
