"""Render every stored comment body into body_html (0002 added the column empty)."""

from django.db import migrations


def render_bodies(apps, schema_editor):
    # The project's renderer, not a frozen copy: the rows get the HTML the
    # article page would have rendered for them until now.
    from articles.markdown import render_comment, rerender_stored_html

    Comment = apps.get_model("comments", "Comment")
    rerender_stored_html(Comment._base_manager.using(schema_editor.connection.alias), render_comment)


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0002_comment_body_html"),
    ]

    operations = [
        # Going back drops the column (0002's reverse): nothing to undo here.
        migrations.RunPython(render_bodies, migrations.RunPython.noop),
    ]
