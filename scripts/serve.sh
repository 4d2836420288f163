#!/bin/sh
# `make serve`: the site as a production deployment runs it, on 127.0.0.1.
#
# gunicorn with several workers, PostgreSQL and Redis, DEBUG off, static files
# collected and served by whitenoise, the django-tasks-db worker sending email
# outside the requests, the scheduler that publishes due articles, and the
# periodic flusher of buffered view counts.
# Every setting can be overridden from the environment:
#
#   PORT              8000
#   DATABASE_URL      postgres://root@127.0.0.1:5432/blogsite (created if missing)
#   REDIS_URL         redis://127.0.0.1:6379/0 (the cache: pages, generations)
#   VIEW_BUFFER_URL   redis://127.0.0.1:6379/1 (views buffered in Redis; empty: counted in the database)
#   WEB_CONCURRENCY   3 gunicorn workers
#   SECRET_KEY        generated once and kept in .venv/serve-secret-key
#   ACCESS_LOG        - (stdout); empty for none
#   PUBLISH_EVERY     30 (seconds between two `publish_due` rounds)
#
# The processes run side by side; Ctrl-C or TERM stops them all, and if one of
# them dies the others are stopped and the script exits with an error.
set -eu

cd "$(dirname "$0")/.."
PY=.venv/bin/python

export PORT="${PORT:-8000}"
export DATABASE_URL="${DATABASE_URL:-postgres://root@127.0.0.1:5432/blogsite}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
# Not the cache's database: clearing the cache (FLUSHDB) must not lose views.
export VIEW_BUFFER_URL="${VIEW_BUFFER_URL-redis://127.0.0.1:6379/1}"
export DEBUG=0
export TASKS_BACKEND=database
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
# One connection per worker, kept between requests instead of one per request.
export CONN_MAX_AGE="${CONN_MAX_AGE:-60}"
# Nothing in front of gunicorn serves uploads here: Django does (blogsite/urls.py).
export SERVE_MEDIA="${SERVE_MEDIA:-1}"
export WEB_CONCURRENCY="${WEB_CONCURRENCY:-3}"
ACCESS_LOG="${ACCESS_LOG--}"
PUBLISH_EVERY="${PUBLISH_EVERY:-30}"

if [ -z "${SECRET_KEY:-}" ]; then
    # Generated once and kept out of git, so sign-ins survive a restart; never the development key.
    key_file=.venv/serve-secret-key
    if [ ! -s "$key_file" ]; then
        (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$key_file")
    fi
    SECRET_KEY="$(cat "$key_file")"
    export SECRET_KEY
fi

echo "== Checking PostgreSQL ($DATABASE_URL) and Redis ($REDIS_URL) =="
"$PY" - <<'EOF'
import os
import sys

import dj_database_url
import psycopg
import redis
from psycopg import sql

config = dj_database_url.parse(os.environ["DATABASE_URL"])
if config["ENGINE"] == "django.db.backends.postgresql":
    server = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "connect_timeout": 5,
    }
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
                print(f"Created database {config['NAME']}.")
    except psycopg.Error as error:
        sys.exit(f"PostgreSQL cannot be used: {error}")
for name in ("REDIS_URL", "VIEW_BUFFER_URL"):
    if os.environ.get(name):
        try:
            redis.Redis.from_url(os.environ[name], socket_connect_timeout=5).ping()
        except redis.RedisError as error:
            sys.exit(f"Redis at {name}={os.environ[name]} cannot be used: {error}")
EOF

"$PY" manage.py migrate --noinput
"$PY" manage.py collectstatic --noinput --verbosity 0
# Immediate tasks, so seeding's ninety-odd welcome/comment/follower emails are
# discarded (as seed_demo does) instead of queued for the worker to print.
TASKS_BACKEND=immediate "$PY" manage.py seed_demo
# Pages cached by an earlier run (other code, other templates) must not outlive it.
"$PY" manage.py shell --no-imports -c 'from blogsite.page_cache import invalidate_pages; invalidate_pages()'

# Whether views are buffered in Redis (articles/view_counts.py, VIEW_BUFFER_URL
# read by the settings): then `flush_views --loop` moves them into the rows.
buffers_views() {
    [ -n "$VIEW_BUFFER_URL" ] && [ -f articles/management/commands/flush_views.py ] &&
        "$PY" manage.py shell --no-imports -c \
            'import sys; from django.conf import settings; sys.exit(not getattr(settings, "VIEW_BUFFER_URL", ""))'
}

pids=""
names=""
start() {
    name="$1"
    shift
    "$@" &
    pids="$pids $!"
    names="$names $name:$!"
}

stopping=0
stop_all() {
    stopping=1
    for pid in $pids; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $pids; do
        wait "$pid" 2>/dev/null || true
    done
}
trap 'echo "Stopping…"; stop_all; exit 0' INT TERM

echo "== Serving http://127.0.0.1:$PORT/ ($WEB_CONCURRENCY gunicorn workers); Ctrl-C stops =="
# No control socket: it lives at one path per user, which a second site (or the
# load benchmark) running at the same time would take over.
set -- --bind "127.0.0.1:$PORT" --workers "$WEB_CONCURRENCY" --graceful-timeout 10 --no-control-socket
if [ -n "$ACCESS_LOG" ]; then
    set -- "$@" --access-logfile "$ACCESS_LOG"
fi
start gunicorn .venv/bin/gunicorn blogsite.wsgi:application "$@"
start db_worker "$PY" manage.py db_worker --interval 1
# Scheduled articles go live within PUBLISH_EVERY seconds of their time.
start publish_due "$PY" manage.py publish_due --loop "$PUBLISH_EVERY"
if buffers_views; then
    start flush_views "$PY" manage.py flush_views --loop 5
fi

# POSIX sh has no `wait -n`: look every second for a process that is gone.
while [ "$stopping" -eq 0 ]; do
    for entry in $names; do
        if ! kill -0 "${entry#*:}" 2>/dev/null; then
            echo "${entry%%:*} (pid ${entry#*:}) stopped: stopping the others." >&2
            stop_all
            exit 1
        fi
    done
    sleep 1
done
