"""bench/cpu_use.py charges CPU to the process that spent it, and to the machine."""

import subprocess
import sys
import time

import pytest

from bench import cpu_use

pytestmark = pytest.mark.skipif(not cpu_use.available(), reason="no /proc: not Linux")


def spin(cpu_seconds: float) -> None:
    started = time.process_time()
    while time.process_time() - started < cpu_seconds:
        pass


def test_this_process_is_charged_as_the_load_generator():
    use = cpu_use.CpuUse()
    use.start()
    spin(0.3)
    use.stop()
    assert use.seconds["load generator"] >= 0.25
    # The machine's cores did at least that much work.
    assert use.seconds[cpu_use.MACHINE] >= 0.25
    assert use.ms_per(10) == pytest.approx(100 * use.seconds[cpu_use.MACHINE])


SPIN_THEN_WAIT = """
import sys, time
started = time.process_time()
while time.process_time() - started < 0.3:
    pass
print("spun", flush=True)
sys.stdin.read()
"""


def test_a_process_started_during_the_run_counts_from_zero_under_its_kind():
    use = cpu_use.CpuUse()
    use.start()
    # Named like a server's process: charged to its kind, not to "other" nor to this process.
    with subprocess.Popen(
        [sys.executable, "-c", SPIN_THEN_WAIT, "redis-server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as server:
        assert server.stdout.readline() == "spun\n"
        use.stop()  # while it lives: a process that has exited is no longer in /proc
        server.stdin.close()
    assert 0.25 <= use.seconds.get("Redis", 0) < 1.0
    assert use.seconds.get("load generator", 0) < 0.25


def test_nothing_measured_means_no_figure():
    use = cpu_use.CpuUse()
    assert use.ms_per(100) is None
    use.start()
    use.stop()
    assert use.ms_per(0) is None
