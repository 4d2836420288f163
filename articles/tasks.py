"""The periodic work of articles: publishing what is due, moving buffered views into the rows.

Deferred by every worker's periodic deferrer, each once per period across all
workers (procrastinate's unique periodic-defer row); the queueing lock keeps a
slow round from piling up the next ones behind it. A round that fails is not
retried: the next period is the retry.
"""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from procrastinate.contrib.django import app

from blogsite.task_engine import every_seconds

from .services import publish_due_articles
from .view_counts import flush_views


@app.periodic(cron=every_seconds(settings.PUBLISH_DUE_EVERY_SECONDS))
@app.task(queueing_lock="articles.publish_due")
def publish_due(timestamp: int) -> list[str]:
    """Publish the scheduled articles whose time has come; their effects are deferred with each publication."""
    return [article.slug for article in publish_due_articles()]


@app.periodic(cron=every_seconds(settings.FLUSH_VIEWS_EVERY_SECONDS))
@app.task(queueing_lock="articles.flush_views")
def flush_buffered_views(timestamp: int) -> dict[str, int]:
    """Views buffered in Redis into ``Article.view_count`` (nothing to do when views are counted in the rows)."""
    return asdict(flush_views())
