"""A GIN index for full-text search, on PostgreSQL only.

The indexed expression is, character for character, what
articles.search.article_search_vector() compiles to; any difference and the
planner falls back to scanning every article. Partial on published rows: the
only ones search reads. SQLite has no such index and searches with LIKE.
"""

from django.db import migrations

INDEX_NAME = "article_search_vector"

CREATE_INDEX = f"""
CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON articles_article USING GIN ((
    (setweight(to_tsvector('english'::regconfig, COALESCE("title", '')), 'A')
    || setweight(to_tsvector('english'::regconfig, COALESCE("excerpt", '')), 'B'))
    || setweight(to_tsvector('english'::regconfig, COALESCE("body", '')), 'C')
)) WHERE "status" = 'published'
"""

DROP_INDEX = f"DROP INDEX IF EXISTS {INDEX_NAME}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
