#!/bin/sh
# `make serve`: the site as a production deployment runs it, on 127.0.0.1.
#
# The processes of the Procfile (gunicorn with several workers; the procrastinate
# task worker that sends email, publishes due articles and flushes buffered
# views) under supervisord, on PostgreSQL and Redis, DEBUG off, static files
# collected and served by whitenoise.
# Every setting can be overridden from the environment:
#
#   PORT              8000
#   DATABASE_URL      postgres://root@127.0.0.1:5432/blogsite (created if missing)
#   REDIS_URL         redis://127.0.0.1:6379/0 (the cache: pages, generations)
#   VIEW_BUFFER_URL   redis://127.0.0.1:6379/1 (views buffered in Redis; empty: counted in the database)
#   WEB_CONCURRENCY   3 gunicorn workers
#   SERVE_RUN_DIR     .venv/run (supervisord's config, socket and pid file)
#   TASK_WORKERS      2 task worker processes (each runs TASK_WORKER_CONCURRENCY=2 jobs at once)
#   SECRET_KEY        generated once and kept in .venv/serve-secret-key
#   ACCESS_LOG        - (stdout); empty for none
#   EMAIL_BACKEND     console; django.core.mail.backends.smtp.EmailBackend sends to EMAIL_HOST:EMAIL_PORT
#   (and every other setting of blogsite/settings.py: TASK_*, PUBLISH_DUE_EVERY_SECONDS, HTTPS...)
#
# Ctrl-C or TERM stops them all (the worker finishes its running jobs first);
# one that dies is started again on its own.
set -eu

cd "$(dirname "$0")/.."
PY=.venv/bin/python

export PORT="${PORT:-8000}"
export DATABASE_URL="${DATABASE_URL:-postgres://root@127.0.0.1:5432/blogsite}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
# Not the cache's database: clearing the cache (FLUSHDB) must not lose views.
export VIEW_BUFFER_URL="${VIEW_BUFFER_URL-redis://127.0.0.1:6379/1}"
export DEBUG=0
export TASK_QUEUE=procrastinate
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
# One connection per worker, kept between requests instead of one per request.
export CONN_MAX_AGE="${CONN_MAX_AGE:-60}"
# Nothing in front of gunicorn serves uploads here: Django does (blogsite/urls.py).
export SERVE_MEDIA="${SERVE_MEDIA:-1}"
export WEB_CONCURRENCY="${WEB_CONCURRENCY:-3}"
# Two, so that one killed leaves the other to take over its jobs at once.
TASK_WORKERS="${TASK_WORKERS:-2}"
export ACCESS_LOG="${ACCESS_LOG--}"

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
# Seeding causes no email: nobody is told about demo content (seed_demo).
"$PY" manage.py seed_demo
# Pages cached by an earlier run (other code, other templates) must not outlive it.
"$PY" manage.py shell --no-imports -c 'from blogsite.page_cache import invalidate_pages; invalidate_pages()'

# The Procfile's processes, each supervised: supervisord restarts any one that
# dies (a killed worker, a gunicorn master) without touching the others.
run_dir="${SERVE_RUN_DIR:-$PWD/.venv/run}"
mkdir -p "$run_dir"
.venv/bin/honcho export supervisord "$run_dir" --app blogsite --log "$run_dir" \
    --template-dir scripts/supervisord --port "$PORT" --shell /bin/sh --env /dev/null \
    --concurrency "worker=$TASK_WORKERS"
echo "== Serving http://127.0.0.1:$PORT/ ($WEB_CONCURRENCY gunicorn workers, $TASK_WORKERS task workers); Ctrl-C stops =="
echo "   .venv/bin/supervisorctl -c $run_dir/blogsite.conf status   shows the processes"
exec .venv/bin/supervisord --nodaemon --configuration "$run_dir/blogsite.conf"
