"""manage.py run_worker: procrastinate's worker, started again after it stops on an error."""

from __future__ import annotations

import contextlib

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from blogsite.management.commands import run_worker


class FakeApp:
    """Stands in for procrastinate's app: each run either raises the next error or returns (a clean stop)."""

    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes, self.runs = outcomes, 0
        self.connector = self

    def get_worker_connector(self):
        return "worker connector"

    @contextlib.contextmanager
    def replace_connector(self, connector):
        assert connector == "worker connector"  # its own pool, not Django's connection
        yield

    def run_worker(self, **options) -> None:
        self.runs += 1
        if error := self.outcomes.pop(0):
            raise error


@pytest.fixture(autouse=True)
def _no_real_connections(monkeypatch):
    # The command drops the worker's Django connections between runs; here there are none of its own.
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)


def test_a_worker_that_loses_its_database_is_started_again(settings, monkeypatch, caplog):
    settings.TASK_QUEUE = "procrastinate"
    app = FakeApp([OperationalError("terminating connection due to administrator command"), None])
    pauses = []
    monkeypatch.setattr(run_worker, "app", app)
    monkeypatch.setattr(run_worker.StopRequest, "sleep", lambda self, seconds: pauses.append(seconds))

    call_command("run_worker")

    assert app.runs == 2 and pauses == [run_worker.FIRST_PAUSE_SECONDS]
    assert "starting it again" in caplog.text and "administrator command" in caplog.text


def test_the_pause_doubles_while_the_worker_keeps_failing(settings, monkeypatch):
    settings.TASK_QUEUE = "procrastinate"
    app = FakeApp([OperationalError("down")] * 7 + [None])
    pauses = []
    monkeypatch.setattr(run_worker, "app", app)
    monkeypatch.setattr(run_worker.StopRequest, "sleep", lambda self, seconds: pauses.append(seconds))

    call_command("run_worker")

    assert pauses == [1, 2, 4, 8, 16, 30, 30]


def test_without_a_queue_there_is_nothing_to_work_on(settings):
    settings.TASK_QUEUE = "in-process"
    with pytest.raises(CommandError, match="No task queue"):
        call_command("run_worker")
