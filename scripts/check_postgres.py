"""Say plainly whether the PostgreSQL of the test run can be reached.

Exit 0 when it answers. Otherwise print why; exit 1 under CI=true (CI must
never pass without the PostgreSQL half of the suite) and 2 elsewhere, which
the Makefile takes as "skip the PostgreSQL pass, loudly".
"""

import os
import sys

import dj_database_url
import psycopg

url = os.environ["PG_DATABASE_URL"]
config = dj_database_url.parse(url)
try:
    psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        connect_timeout=5,
    ).close()
except psycopg.Error as error:
    print(f"PostgreSQL at {url} cannot be reached: {error}".strip(), file=sys.stderr)
    if os.environ.get("CI", "").lower() == "true":
        print("CI=true: the PostgreSQL pass is required, failing.", file=sys.stderr)
        sys.exit(1)
    print("Skipping the PostgreSQL pass (set CI=true to make this an error).", file=sys.stderr)
    sys.exit(2)
print(f"PostgreSQL at {url} answers.")
