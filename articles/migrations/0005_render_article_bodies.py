"""Render every stored article body into body_html (0004 added the column empty)."""

from django.db import migrations


def render_bodies(apps, schema_editor):
    # The project's renderer, not a frozen copy: the rows get the HTML the
    # pages would have rendered for them until now.
    from articles.markdown import render_markdown, rerender_stored_html

    Article = apps.get_model("articles", "Article")
    rerender_stored_html(Article._base_manager.using(schema_editor.connection.alias), render_markdown)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_article_body_html"),
    ]

    operations = [
        # Going back drops the column (0004's reverse): nothing to undo here.
        migrations.RunPython(render_bodies, migrations.RunPython.noop),
    ]
