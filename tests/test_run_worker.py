"""manage.py run_worker: procrastinate's worker, started again whenever it stops without being asked."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from blogsite.management.commands import run_worker

STOPS_ON_ITS_OWN = "stops on its own"  # as procrastinate does when a side task (heartbeat, listener) fails
GETS_SIGTERM = "gets SIGTERM"


class FakeApp:
    """Stands in for procrastinate's app: each run raises, returns, or is stopped by a real SIGTERM."""

    def __init__(self, outcomes: list) -> None:
        self.outcomes, self.runs = outcomes, 0
        self.connector = self

    def get_worker_connector(self):
        return "worker connector"

    @contextlib.contextmanager
    def replace_connector(self, connector):
        assert connector == "worker connector"  # its own pool, not Django's connection
        yield

    @contextlib.asynccontextmanager
    async def open_async(self):
        yield

    async def run_worker_async(self, **options) -> None:
        assert options["install_signal_handlers"] is False  # run_worker handles the signals itself
        self.runs += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == GETS_SIGTERM:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(30)  # cancelled by the command's handler long before


@pytest.fixture
def pauses(settings, monkeypatch) -> list[float]:
    settings.TASK_QUEUE = "procrastinate"
    # The command drops the worker's Django connections between runs; here there are none of its own.
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    slept: list[float] = []
    monkeypatch.setattr(run_worker.StopRequest, "sleep", lambda self, seconds: slept.append(seconds))
    return slept


def run_with(monkeypatch, outcomes: list) -> FakeApp:
    app = FakeApp(outcomes)
    monkeypatch.setattr(run_worker, "app", app)
    call_command("run_worker")
    return app


def test_a_worker_that_loses_its_database_is_started_again(pauses, monkeypatch, caplog):
    app = run_with(monkeypatch, [OperationalError("terminating connection due to administrator command"), GETS_SIGTERM])
    assert app.runs == 2 and pauses == [run_worker.FIRST_PAUSE_SECONDS]
    assert "stopped on an error" in caplog.text and "administrator command" in caplog.text


def test_a_worker_that_stops_on_its_own_is_started_again(pauses, monkeypatch, caplog):
    app = run_with(monkeypatch, [STOPS_ON_ITS_OWN, GETS_SIGTERM])
    assert app.runs == 2 and "stopped without being asked" in caplog.text


def test_sigterm_stops_it_for_good(pauses, monkeypatch):
    app = run_with(monkeypatch, [GETS_SIGTERM, STOPS_ON_ITS_OWN])
    assert app.runs == 1 and pauses == []
    assert signal.getsignal(signal.SIGTERM) is not run_worker.StopRequest.request  # handlers given back


def test_the_pause_doubles_while_the_worker_keeps_failing(pauses, monkeypatch):
    run_with(monkeypatch, [OperationalError("down")] * 7 + [GETS_SIGTERM])
    assert pauses == [1, 2, 4, 8, 16, 30, 30]


def test_without_a_queue_there_is_nothing_to_work_on(settings):
    settings.TASK_QUEUE = "in-process"
    with pytest.raises(CommandError, match="No task queue"):
        call_command("run_worker")
