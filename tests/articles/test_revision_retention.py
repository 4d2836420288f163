"""Pruning revisions: what is kept, the covers freed, the prune_revisions command (articles/revision_retention.py)."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, ArticleRevision
from articles.revision_retention import RetentionPolicy, prune_revisions
from tests.articles.test_cover_files import with_new_cover
from tests.conftest import assert_latest_revisions_hold_the_content
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def titles(article: Article) -> list[str]:
    return list(ArticleRevision.objects.filter(id=article.pk).order_by("history_id").values_list("title", flat=True))


def with_titles(*names: str, **fields) -> Article:
    """An article whose revisions have these titles, oldest first."""
    article = ArticleFactory(title=names[0], **fields)
    for name in names[1:]:
        article.title = name
        article.save()
    return article


def stored_name(path: Path) -> str:
    return path.relative_to(settings.MEDIA_ROOT).as_posix()


def prune(*arguments: str) -> str:
    out = StringIO()
    call_command("prune_revisions", *arguments, stdout=out)
    return out.getvalue()


def test_every_revision_is_kept_by_default():
    article = with_titles("one", "two", "three")
    assert "Every revision is kept" in prune()
    assert titles(article) == ["one", "two", "three"]


def test_keep_n_keeps_each_articles_newest_n(django_capture_on_commit_callbacks):
    long, short = with_titles("a1", "a2", "a3", "a4"), with_titles("b1", "b2")
    with django_capture_on_commit_callbacks(execute=True):
        output = prune("--keep", "2")
    assert (titles(long), titles(short)) == (["a3", "a4"], ["b1", "b2"])
    assert f"Deleted 2 revision(s) of {long.slug}" in output
    assert "Deleted 2 revision(s) of 1 article(s) and 0 cover file(s)." in output
    assert_latest_revisions_hold_the_content()


def test_the_setting_is_the_default_and_keep_1_still_keeps_the_latest(settings):
    article = with_titles("one", "two", "three")
    settings.REVISIONS_KEPT_PER_ARTICLE = 2
    prune()
    assert titles(article) == ["two", "three"]
    prune("--keep", "1")
    assert titles(article) == ["three"]  # the article's current content


def test_older_than_prunes_only_old_revisions_and_never_the_latest():
    old_and_latest = with_titles("x1", "x2")
    mixed = with_titles("y1", "y2", "y3")
    long_ago = timezone.now() - datetime.timedelta(days=40)
    ArticleRevision.objects.filter(id=old_and_latest.pk).update(history_date=long_ago)
    ArticleRevision.objects.filter(id=mixed.pk, title="y1").update(history_date=long_ago)
    prune("--older-than", "30")
    assert titles(old_and_latest) == ["x2"]  # old, but the latest
    assert titles(mixed) == ["y2", "y3"]


def test_keep_and_older_than_together_prune_only_what_both_allow():
    article = with_titles("1", "2", "3", "4")
    long_ago = timezone.now() - datetime.timedelta(days=40)
    ArticleRevision.objects.filter(id=article.pk, title__in=["1", "3"]).update(history_date=long_ago)
    prune("--keep", "2", "--older-than", "30")
    assert titles(article) == ["2", "3", "4"]  # "2" is recent, "3" among the newest two


def test_pruning_deletes_the_covers_only_pruned_revisions_named(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    gone, kept, current = (with_new_cover(article, name) for name in ("gone.png", "kept.png", "current.png"))
    other = ArticleFactory()
    other.cover = stored_name(kept)  # another article names it
    other.save()
    with django_capture_on_commit_callbacks(execute=True):
        output = prune("--keep", "1")
    assert not gone.exists() and kept.exists() and current.exists()
    assert f"Deleted cover file {stored_name(gone)}" in output and stored_name(kept) not in output
    article.refresh_from_db()
    assert Path(article.cover.path) == current


def test_a_cover_a_kept_revision_names_stays(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    cover = with_new_cover(article)
    article.title = "Retitled, same cover"
    article.save()
    with django_capture_on_commit_callbacks(execute=True):
        prune("--keep", "1")
    assert titles(article) == ["Retitled, same cover"] and cover.exists()


def test_a_dry_run_says_what_would_go_and_changes_nothing(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    first = with_new_cover(article, "first.png")
    with_new_cover(article, "second.png")
    with django_capture_on_commit_callbacks(execute=True):
        output = prune("--keep", "1", "--dry-run")
    assert f"Would delete 2 revision(s) of {article.slug}" in output
    assert f"Would delete cover file {stored_name(first)}" in output
    assert len(titles(article)) == 3 and first.exists()


@pytest.mark.parametrize(
    "arguments",
    [["--keep", "-1"], ["--keep", "0"], ["--keep", "two"], ["--older-than", "-5"], ["--older-than", "1.5"]],
)
def test_bad_arguments_are_a_clear_error(arguments):
    article = with_titles("one", "two")
    with pytest.raises(CommandError, match="a whole number, 1 or more, is needed"):
        prune(*arguments)
    assert len(titles(article)) == 2


def test_a_bad_setting_is_a_clear_error(settings):
    settings.REVISIONS_KEPT_PER_ARTICLE = -3
    with pytest.raises(CommandError, match="REVISIONS_KEPT_PER_ARTICLE: keep is a number of revisions, 1 or more"):
        prune()


def test_pruning_deletes_a_batch_per_statement(monkeypatch):
    monkeypatch.setattr("articles.revision_retention.PRUNE_BATCH_SIZE", 2)
    article = with_titles("1", "2", "3", "4", "5", "6")
    with CaptureQueriesContext(connection) as captured:
        pruned = prune_revisions(RetentionPolicy(keep=1))
    deletes = [query for query in captured.captured_queries if query["sql"].startswith("DELETE")]
    assert (pruned.revisions, len(deletes), titles(article)) == (5, 3, ["6"])
