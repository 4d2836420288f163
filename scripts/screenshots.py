"""Screenshots of the site's main pages, in light and dark mode, for the README.

Run from the repository root (``make screenshots`` does exactly this)::

    .venv/bin/python scripts/screenshots.py

It builds a throwaway demo site (a SQLite database and media folder in a temporary
directory: ``migrate``, ``seed_demo``), serves it with ``manage.py runserver`` on a free
port, and drives Debian's chromium (``scripts/install_browser.sh``) through Playwright to
save ``docs/screenshots/<page>-<light|dark>.png`` at 1280×900, full page. The colour mode
is the browser's ``prefers-color-scheme``, which the site's theme.js follows. Then it stops
the server and deletes the temporary site.

A page that answers with an error status (or cannot be captured) is reported, the other
pages are still taken, and the script exits 1 at the end.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MANAGE = REPO_ROOT / "manage.py"
OUTPUT = REPO_ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 900}
MODES = ("light", "dark")
DEMO_AUTHOR = ("maya", "demo-password")  # seed_demo's demo authors share this password
ADMIN_USERNAME = "admin"  # seed_demo's superuser; its random password is replaced in the throwaway database
TIMEOUT_MS = 15_000


class PageError(Exception):
    """A page answered with an error status or could not be captured."""


@dataclass(frozen=True)
class Shot:
    name: str
    user: str | None  # None: an anonymous reader; else a key of Site.logins
    take: Callable  # (page, site) -> the page's final document response


@dataclass
class Site:
    url: str
    logins: dict[str, tuple[str, str]]
    article_path: str | None = None
    history_path: str | None = None
    unsubscribe_path: str | None = None


def main() -> int:
    if not CHROMIUM.exists():
        print(f"error: {CHROMIUM} is missing: run scripts/install_browser.sh", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("error: Playwright is missing: .venv/bin/pip install -r requirements-browser.txt", file=sys.stderr)
        return 2

    OUTPUT.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="blogsite-screenshots-") as tmp:
        tmp_dir = Path(tmp)
        port = free_port()
        admin_password = secrets.token_urlsafe(16)
        env = site_environment(tmp_dir, port)
        build_site(env, admin_password)
        site = Site(
            url=f"http://127.0.0.1:{port}",
            logins={"author": DEMO_AUTHOR, "admin": (ADMIN_USERNAME, admin_password)},
            # The last line: Django 5.2's shell first says what it imported.
            unsubscribe_path=manage_output(env, "shell", "-c", PRINT_UNSUBSCRIBE_PATH).strip().splitlines()[-1],
        )
        with serving(env, port, tmp_dir / "runserver.log"), sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox"] if os.geteuid() == 0 else [],
            )
            try:
                for mode in MODES:
                    failures += capture_mode(browser, site, mode)
            finally:
                browser.close()

    if failures:
        print(f"\n{len(failures)} screenshot(s) failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(f"\nAll {len(SHOTS) * len(MODES)} screenshots are in {OUTPUT.relative_to(REPO_ROOT)}/")
    return 0


# The throwaway site ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_environment(tmp_dir: Path, port: int) -> dict[str, str]:
    env = {**os.environ}
    # Never the developer's database, uploads or shared cache: pages cached for another database would show.
    for name in ("REDIS_URL", "TASK_QUEUE", "EMAIL_BACKEND"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_dir / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_dir / "media"),
        SITE_URL=f"http://127.0.0.1:{port}",
        DEBUG="true",  # runserver serves static files and uploads only with DEBUG on
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    manage_output(env, *args)


def manage_output(env: dict[str, str], *args: str) -> str:
    """Run a manage.py command; what it printed. Its output is shown only when it fails."""
    print(f"$ manage.py {' '.join(args[:2])}", flush=True)
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"error: manage.py {args[0]} failed (exit {result.returncode})")
    return result.stdout


def build_site(env: dict[str, str], admin_password: str) -> None:
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    # seed_demo gives the admin a random password that it only prints: set one this script knows.
    manage({**env, "SCREENSHOTS_ADMIN_PASSWORD": admin_password}, "shell", "-c", SET_ADMIN_PASSWORD)


# The unsubscribe page a demo follower's email links to (its token needs the site's secret).
PRINT_UNSUBSCRIBE_PATH = (
    "from django.urls import reverse; from authors.models import Follow; "
    "from authors.unsubscribe import UnsubscribeLink; follow = Follow.objects.order_by('pk').first(); "
    "link = UnsubscribeLink(follower_id=follow.follower_id, author_id=follow.author_id); "
    "print(reverse('unsubscribe', args=[link.token()]))"
)

SET_ADMIN_PASSWORD = (
    "import os; from django.contrib.auth import get_user_model; "
    f"user = get_user_model().objects.get(username={ADMIN_USERNAME!r}); "
    "user.set_password(os.environ['SCREENSHOTS_ADMIN_PASSWORD']); user.save(update_fields=['password'])"
)


@contextmanager
def serving(env: dict[str, str], port: int, log_path: Path) -> Iterator[None]:
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_answering(f"http://127.0.0.1:{port}/", server, log_path)
            print(f"Serving the throwaway site at http://127.0.0.1:{port}/", flush=True)
            yield
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_answering(url: str, server: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.stderr.write(log_path.read_text())
            raise SystemExit(f"error: runserver exited ({server.returncode}) before answering")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, even if with an error: the page's own shot reports that
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"error: {url} did not answer within {timeout:.0f} s")


# The pages -----------------------------------------------------------------------------------------------------


def checked(response, what: str):
    if response is None:
        raise PageError(f"{what}: no response")
    if response.status >= 400:
        raise PageError(f"{what}: {response.status} at {response.url}")
    return response


def goto(page, path: str):
    return checked(page.goto(path), f"GET {path}")


def submit(page, field_name: str, what: str):
    form = page.locator("form", has=page.locator(f"[name={field_name}]"))
    # The server's own validation is what the shot shows, not the browser's `required` bubbles.
    form.evaluate("form => { form.noValidate = true; }")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit], input[type=submit]").first.click()
    return checked(navigation.value, what)


def log_in(page, login_path: str, username: str, password: str) -> None:
    goto(page, login_path)
    page.locator("[name=username]").fill(username)
    page.locator("[name=password]").fill(password)
    submit(page, "password", f"log in as {username}")
    if page.locator("form [name=password]").count():
        raise PageError(f"log in as {username}: still on the login form at {page.url}")


def shoot_home(page, site: Site):
    response = goto(page, "/")
    if site.article_path is None:
        # The newest published article: the first article link on the home page.
        link = page.locator("main a[href^='/articles/']").first
        if link.count():
            site.article_path = link.get_attribute("href")
    return response


def shoot_article(page, site: Site):
    if site.article_path is None:
        raise PageError("article: the home page links to no article")
    return goto(page, site.article_path)


def shoot_preview(page, site: Site):
    # The author's own draft, as only they (and staff) can see it: the article under its preview banner.
    goto(page, "/dashboard/")
    link = page.locator("section[aria-labelledby=status-draft] tbody td:first-child a").first
    if not link.count():
        raise PageError("preview: the dashboard lists no draft")
    response = goto(page, link.get_attribute("href"))
    if not page.locator("main .alert", has_text="Preview").count():
        raise PageError(f"preview: no preview banner at {page.url}")
    return response


def shoot_write_error(page, site: Site):
    goto(page, "/write/")
    page.locator("[name=body]").fill("A draft that still needs a title.")
    response = submit(page, "title", "POST /write/ with the title empty")
    if not page.locator(".invalid-feedback, .errorlist, [aria-invalid=true]").count():
        raise PageError(f"write form: no validation error shown at {page.url}")
    return response


def shoot_history(page, site: Site):
    # One of the author's published articles, edited here once (a word changed, a
    # paragraph added) so that its history holds two revisions to compare.
    goto(page, "/dashboard/")
    link = page.locator("section[aria-labelledby=status-published] tbody td:first-child a").first
    if not link.count():
        raise PageError("history: the dashboard lists no published article")
    article_path = link.get_attribute("href")
    goto(page, f"{article_path}edit/")
    body = page.locator("[name=body]")
    text = body.input_value()
    body.fill(text.replace(" the ", " every ", 1) + "\n\nA paragraph added since, to show what a revision keeps.")
    submit(page, "title", "save an edit")
    site.history_path = f"{article_path}history/"
    return goto(page, site.history_path)


def shoot_compare(page, site: Site):
    if site.history_path is None:
        raise PageError("compare: no history page was shot first")
    goto(page, site.history_path)
    link = page.locator("main a", has_text="changes").first
    if not link.count():
        raise PageError(f"compare: no link to a revision's changes at {page.url}")
    return goto(page, link.get_attribute("href"))


def shoot_autosave(page, site: Site):
    # One of the author's drafts, typed into and left before saving: the form opened again offers the autosave.
    goto(page, "/dashboard/")
    link = page.locator("section[aria-labelledby=status-draft] tbody td:first-child a").first
    if not link.count():
        raise PageError("autosave: the dashboard lists no draft")
    edit_path = f"{link.get_attribute('href')}edit/"
    goto(page, edit_path)
    if not page.locator("[data-autosave-offer]").count():  # the light run's autosave serves the dark one too
        title = page.locator("[name=title]")
        title.fill(f"{title.input_value()}, revisited")
        body = page.locator("[name=body]")
        text = body.input_value()
        body.fill(
            text.replace(" the ", " this ", 1) + "\n\nA paragraph typed since the last save, kept by the autosave."
        )
        page.locator("[data-autosave-status]", has_text="Saved a draft at").wait_for()
    response = goto(page, edit_path)
    if not page.locator("[data-autosave-offer] ins").count():
        raise PageError(f"autosave: no autosave offered at {page.url}")
    return response


SHOTS = [
    Shot("home", None, shoot_home),
    Shot("article", None, shoot_article),
    Shot("search", None, lambda page, site: goto(page, "/search/?q=tomato")),
    Shot("preview", "author", shoot_preview),
    Shot("dashboard", "author", lambda page, site: goto(page, "/dashboard/")),
    Shot("write-error", "author", shoot_write_error),
    Shot("history", "author", shoot_history),
    Shot("compare", "author", shoot_compare),
    Shot("autosave", "author", shoot_autosave),
    Shot("tag", None, lambda page, site: goto(page, "/tags/databases/")),
    # The demo's welcome article: a discussion with replies, three deep.
    Shot("discussion", None, lambda page, site: goto(page, "/articles/welcome-to-blogsite/#comments")),
    Shot("unsubscribe", None, lambda page, site: goto(page, site.unsubscribe_path)),
    Shot("admin-articles", "admin", lambda page, site: goto(page, "/admin/articles/article/")),
]


def capture_mode(browser, site: Site, mode: str) -> list[str]:
    failures: list[str] = []
    contexts = {}
    try:
        for shot in SHOTS:
            target = OUTPUT / f"{shot.name}-{mode}.png"
            try:
                if shot.user not in contexts:
                    contexts[shot.user] = open_context(browser, site, mode, shot.user)
                page = contexts[shot.user].new_page()
                try:
                    shot.take(page, site)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=target, full_page=True, animations="disabled")
                finally:
                    page.close()
            except Exception as error:  # one broken page must not stop the others
                failures.append(f"{target.name}: {error}".splitlines()[0])
                print(f"FAILED  {target.relative_to(REPO_ROOT)}: {error}".splitlines()[0], flush=True)
            else:
                print(f"saved   {target.relative_to(REPO_ROOT)}", flush=True)
    finally:
        for context in contexts.values():
            context.close()
    return failures


def open_context(browser, site: Site, mode: str, user: str | None):
    context = browser.new_context(base_url=site.url, viewport=VIEWPORT, color_scheme=mode)
    context.set_default_timeout(TIMEOUT_MS)
    if user is not None:
        username, password = site.logins[user]
        try:
            page = context.new_page()
            log_in(page, "/admin/login/" if user == "admin" else "/accounts/login/", username, password)
            page.close()
        except Exception:
            context.close()
            raise
    return context


if __name__ == "__main__":
    sys.exit(main())
