"""`make serve` as an operator runs it: the Procfile under supervisord, where one process dying takes nothing down."""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest
from django.utils import timezone

from articles.models import Article
from authors.services import follow_author
from blogsite.effects import effects_discarded
from blogsite.emails import message_id
from tests.factories import ArticleFactory, UserFactory, make_author

from .harness import REPO_ROOT, MailSink, free_port, site_environment, wait_until


def answers(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def supervised_pids(run_dir) -> dict[str, int]:
    """Each program's pid, as supervisorctl reports it (only the running ones)."""
    supervisorctl = [str(REPO_ROOT / ".venv/bin/supervisorctl"), "-c", str(run_dir / "blogsite.conf"), "status"]
    status = subprocess.run(supervisorctl, capture_output=True, text=True).stdout
    return {name: int(pid) for name, pid in re.findall(r"^(\S+)\s+RUNNING\s+pid (\d+)", status, re.MULTILINE)}


@pytest.fixture
def serve(on_postgres, transactional_db, tmp_path):
    sink = MailSink().start()
    port = free_port()
    env = site_environment(
        smtp_port=sink.port,
        PORT=str(port),
        REDIS_URL="redis://127.0.0.1:6379/14",
        VIEW_BUFFER_URL="",
        WEB_CONCURRENCY="2",
        ACCESS_LOG="/dev/null",
        SERVE_RUN_DIR=str(tmp_path / "run"),  # never the developer's own make serve
        STATIC_ROOT=str(tmp_path / "static"),
    )
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        ["sh", "scripts/serve.sh"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base + "/") == 200, timeout=120, what="make serve answering", every=0.5)
        yield base, sink, process, tmp_path / "run"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
        log.close()
        sink.stop()


def test_one_process_dying_never_takes_the_site_down(serve):
    base, sink, process, run_dir = serve
    with effects_discarded():
        author = make_author(username="writer", email="writer@example.com")
        fans = [UserFactory(email=f"fan{i}@example.com") for i in range(2)]
        for fan in fans:
            follow_author(user=fan, author=author)
    programs = {"web-1", "worker-1", "worker-2"}  # the Procfile's web and two workers (TASK_WORKERS)
    before = wait_until(
        lambda: (pids := supervised_pids(run_dir)).keys() == programs and pids, timeout=30, what="all up"
    )

    os.kill(before["worker-1"], signal.SIGKILL)
    os.kill(before["web-1"], signal.SIGKILL)  # the gunicorn master, and with it every web worker
    restarted = wait_until(
        lambda: (
            (pids := supervised_pids(run_dir)).keys() == before.keys()
            and set(pids.values()).isdisjoint({before["worker-1"], before["web-1"]})
            and pids
        ),
        timeout=30,
        what="supervisord starting the killed processes again",
    )
    assert restarted["worker-2"] == before["worker-2"]  # the others were left alone
    wait_until(lambda: answers(base + "/") == 200, timeout=30, what="the site answering again")

    # Scheduled publishing and its email, with no process started by hand for it.
    due = ArticleFactory(
        author=author, status=Article.Status.SCHEDULED, published_at=timezone.now() + datetime.timedelta(seconds=2)
    )
    expected = {message_id(f"article-published:{due.pk}", fan.email) for fan in fans}
    wait_until(lambda: set(sink.ids()) == expected, timeout=60, what="the scheduled article's follower emails")
    assert answers(base + due.get_absolute_url()) == 200

    os.killpg(process.pid, signal.SIGTERM)  # what Ctrl-C on make serve does
    assert process.wait(timeout=60) == 0
    time.sleep(0.5)
    assert supervised_pids(run_dir) == {}
