"""Seed a living demo site: authors, categories, articles in every state, comments, follows.

Everything is written the way the site itself writes it — ``create()``,
``save()`` and the services — so the signal receivers count every published
article and approved comment; nothing here touches a counter column.

Idempotent: each object is looked up by its natural key (username, category
name, article slug) and only created when missing. An object that exists is
left exactly as it is, edits and passwords included, and an article that
exists brings no comments or views: running the command again adds nothing.
"""

from __future__ import annotations

import datetime
import secrets
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.models import Article, Category
from articles.services import set_article_status
from articles.tags import tags_named
from authors.models import Author, Follow
from authors.services import follow_author
from blogsite.effects import effects_discarded
from comments.digest import record_as_told
from comments.models import Comment
from comments.services import add_comment, moderate_comment

from .content import ADMIN, ARTICLES, AUTHORS, CATEGORIES, FOLLOWS, ArticleSeed, CommentSeed, PersonSeed
from .covers import demo_cover

# Shared by the demo authors so a visitor can sign in as any of them. The
# admin gets a random one instead: a well-known superuser password would be a
# standing hole on any site where the demo was seeded by mistake.
DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    # None: the account existed before this run and its password was left alone.
    password: str | None
    is_staff: bool = False


@dataclass
class SeedResult:
    """What one run created (zero everywhere on a second run) and who can sign in."""

    created: Counter[str] = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


def seed_demo(*, send_emails: bool = False, now: datetime.datetime | None = None) -> SeedResult:
    """Create whatever part of the demo site is missing; returns what was created.

    One transaction: a failure leaves no half-built demo behind, and the emails
    its writes cause are deferred with it (sent by the worker, or in this
    process right after the commit when there is no queue).
    """
    now = now or timezone.now()
    with nullcontext() if send_emails else effects_discarded(), transaction.atomic():
        result = SeedResult()
        users = seed_people(result)
        categories = seed_categories(result)
        for seed in ARTICLES:
            seed_article(seed, users=users, categories=categories, now=now, result=result)
        seed_follows(users, result)
    return result


# --- people -----------------------------------------------------------------


def seed_people(result: SeedResult) -> dict[str, AbstractBaseUser]:
    """The demo authors and the admin, by username."""
    users = {}
    for person in AUTHORS:
        users[person.username] = seed_user(person, password=DEMO_PASSWORD, result=result)
    users[ADMIN.username] = seed_user(ADMIN, password=secrets.token_urlsafe(12), result=result, superuser=True)
    return users


def seed_user(person: PersonSeed, *, password: str, result: SeedResult, superuser: bool = False) -> AbstractBaseUser:
    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: person.username}).first()
    if user is not None:
        result.logins.append(DemoLogin(person.username, None, is_staff=user.is_staff))
        return user
    create = User._default_manager.create_superuser if superuser else User._default_manager.create_user
    # The authors receiver gives the new user an Author profile (and queues a
    # welcome email); the profile only needs its bio.
    user = create(person.username, person.email, password, first_name=person.first_name, last_name=person.last_name)
    set_bio(user.author, person.bio)
    result.created["users"] += 1
    result.logins.append(DemoLogin(person.username, password, is_staff=superuser))
    return user


def set_bio(author: Author, bio: str) -> None:
    author.bio = bio
    author.save(update_fields=["bio"])


def seed_follows(users: dict[str, AbstractBaseUser], result: SeedResult) -> None:
    for follower, followed in FOLLOWS:
        author = users[followed].author
        if not Follow.objects.filter(follower=users[follower], author=author).exists():
            follow_author(user=users[follower], author=author)
            result.created["follows"] += 1


# --- categories -------------------------------------------------------------


def seed_categories(result: SeedResult) -> dict[str, Category]:
    """The demo categories, by name."""
    categories = {}
    for seed in CATEGORIES:
        category, created = Category.objects.get_or_create(name=seed.name, defaults={"description": seed.description})
        result.created["categories"] += int(created)
        categories[seed.name] = category
    return categories


# --- articles ---------------------------------------------------------------


def seed_article(
    seed: ArticleSeed,
    *,
    users: dict[str, AbstractBaseUser],
    categories: dict[str, Category],
    now: datetime.datetime,
    result: SeedResult,
) -> None:
    """Create the article with its views and comments, unless its slug is taken."""
    if Article._base_manager.filter(slug=seed.slug).exists():
        return
    article = create_article(seed, author=users[seed.author].author, category=categories.get(seed.category), now=now)
    result.created["articles"] += 1
    add_views(article, seed.views)
    article.tags.set(tags_named(seed.tags))
    posted: list[Comment] = []
    for comment_seed in seed.comments:
        parent = posted[comment_seed.reply_to] if comment_seed.reply_to is not None else None
        posted.append(seed_comment(article, comment_seed, users, parent=parent))
        result.created["comments"] += 1
    if seed.status == Article.Status.ARCHIVED:
        # Taken down the way an editor would: counted as a move out of published.
        set_article_status(article, Article.Status.ARCHIVED)


def create_article(seed: ArticleSeed, *, author: Author, category: Category | None, now: datetime.datetime) -> Article:
    """Create the article in its final state; an archived one is created published first.

    A published article is given its date in the past: the engine keeps a
    past ``published_at`` set at the first publication, so the demo reads
    like a site with months of history. A scheduled one gets its future date.
    """
    archived = seed.status == Article.Status.ARCHIVED
    published_at = None if seed.days_from_now is None else now + datetime.timedelta(days=seed.days_from_now)
    return Article.objects.create(
        cover=demo_cover(seed.title, seed.category),
        slug=seed.slug,
        title=seed.title,
        author=author,
        category=category,
        excerpt=seed.excerpt,
        body=seed.body,
        status=Article.Status.PUBLISHED if archived else seed.status,
        published_at=published_at,
    )


def add_views(article: Article, views: int) -> None:
    """Give the article a plausible reading history.

    The article_viewed receiver keeps ``view_count`` with this same F() update,
    one view at a time; firing the signal thousands of times would only be
    slower. ``view_count`` is a tally with no source rows, so no invariant is
    bypassed, unlike the counted columns that only the receivers may write.
    """
    if views:
        Article._base_manager.filter(pk=article.pk).update(view_count=F("view_count") + views)


def seed_comment(
    article: Article, seed: CommentSeed, users: dict[str, AbstractBaseUser], *, parent: Comment | None = None
) -> Comment:
    """Add the comment (a reply to ``parent``) through the comment service, then moderate it into its demo status."""
    if seed.username:
        comment = add_comment(article=article, body=seed.body, user=users[seed.username], parent=parent)
    else:
        comment = add_comment(
            article=article, body=seed.body, name=seed.guest_name, email=seed.guest_email, parent=parent
        )
    if comment.status != seed.status:
        moderate_comment(comment, seed.status)
    if seed.status == Comment.Status.PENDING:
        # Nobody wrote it: the authors' digest of pending comments must not tell them of it.
        record_as_told([comment])
    return comment
