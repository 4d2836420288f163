"""Every article's first revision: its content as it stood when history began."""

from django.db import migrations

BATCH = 500


def first_revisions(apps, schema_editor):
    using = schema_editor.connection.alias
    Article = apps.get_model("articles", "Article")
    ArticleRevision = apps.get_model("articles", "ArticleRevision")
    articles = Article._base_manager.using(using).order_by("pk")
    fields = ("title", "slug", "excerpt", "body", "category_id")
    revisions = (
        ArticleRevision(
            id=article.pk,
            history_date=article.updated_at,
            history_type="+",
            source="initial",
            cover=article.cover.name or "",
            **{field: getattr(article, field) for field in fields},
        )
        for article in articles.iterator(chunk_size=BATCH)
    )
    ArticleRevision._base_manager.using(using).bulk_create(revisions, batch_size=BATCH)


def no_revisions(apps, schema_editor):
    apps.get_model("articles", "ArticleRevision")._base_manager.using(schema_editor.connection.alias).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_article_revisions"),
    ]

    operations = [
        migrations.RunPython(first_revisions, no_revisions),
    ]
