"""What the demo site contains: people, categories, follows, articles and their comments.

Plain data, kept apart from ``seed`` (which writes it) so the texts can be
edited without reading any database code. Each article is a Markdown file in
``articles/``; its comments are in ``COMMENTS`` below, under its slug. Every
object carries the natural key that makes seeding idempotent: a username, a
category name, an article slug.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from articles.models import Article
from comments.models import Comment

APPROVED = Comment.Status.APPROVED
PENDING = Comment.Status.PENDING
REJECTED = Comment.Status.REJECTED

ARTICLES_DIR = Path(__file__).with_name("articles")


@dataclass(frozen=True)
class PersonSeed:
    username: str
    first_name: str
    last_name: str
    email: str
    bio: str


@dataclass(frozen=True)
class CategorySeed:
    name: str
    description: str


@dataclass(frozen=True)
class CommentSeed:
    """A comment by a demo user (``username``) or, when that is empty, by a guest.

    ``status`` is what moderation makes of it: a signed-in reader's comment is
    approved on arrival, a guest's waits as pending until approved or rejected.
    """

    body: str
    username: str = ""
    guest_name: str = ""
    guest_email: str = ""
    status: Comment.Status = APPROVED
    # An answer to the article's comment at this index (an earlier one); None: to the article.
    reply_to: int | None = None


@dataclass(frozen=True)
class ArticleSeed:
    slug: str
    title: str
    author: str  # a PersonSeed username
    category: str | None  # a CategorySeed name; None: uncategorised
    status: Article.Status
    excerpt: str
    body: str
    # Days from now of the publication: negative for published and archived
    # articles (when they went out), positive for scheduled ones (when they
    # will), None for drafts.
    days_from_now: int | None = None
    views: int = 0
    comments: tuple[CommentSeed, ...] = ()
    tags: tuple[str, ...] = ()


AUTHORS: tuple[PersonSeed, ...] = (
    PersonSeed(
        username="maya",
        first_name="Maya",
        last_name="Lindqvist",
        email="maya@example.com",
        bio="Editor of this site. Writes about writing, editing and the small habits that get work published.",
    ),
    PersonSeed(
        username="tomas",
        first_name="Tomás",
        last_name="Ferreira",
        email="tomas@example.com",
        bio="Backend developer in Porto. Databases, testing, and the web as it was meant to be: links and feeds.",
    ),
    PersonSeed(
        username="priya",
        first_name="Priya",
        last_name="Raman",
        email="priya@example.com",
        bio="Travels slowly, by train when she can, and writes it down afterwards.",
    ),
    PersonSeed(
        username="jonah",
        first_name="Jonah",
        last_name="Okafor",
        email="jonah@example.com",
        bio="Home cook and former line cook. Recipes that fit a weeknight and a small kitchen.",
    ),
)

ADMIN = PersonSeed(
    username="admin",
    first_name="Site",
    last_name="Admin",
    email="admin@example.com",
    bio="Keeps the lights on and the comment queue short.",
)

# (follower username, followed author username)
FOLLOWS: tuple[tuple[str, str], ...] = (
    ("maya", "tomas"),
    ("maya", "priya"),
    ("tomas", "maya"),
    ("tomas", "jonah"),
    ("priya", "jonah"),
    ("priya", "maya"),
    ("jonah", "priya"),
    ("admin", "maya"),
    ("admin", "tomas"),
)

CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed("Writing", "Drafting, editing and finishing: the craft behind every article."),
    CategorySeed("Publishing", "Schedules, newsletters, comments and everything that happens after you press publish."),
    CategorySeed("Technology", "Databases, testing and the open web, explained for people who build things."),
    CategorySeed("Travel", "Slow journeys, night trains and cities best seen on foot."),
    CategorySeed("Food", "Weeknight cooking, bread, and the kitchen habits worth keeping."),
)

# Guests who comment without an account. Example domains (RFC 2606) only.
ANA = {"guest_name": "Ana Souza", "guest_email": "ana@example.org"}
LUKAS = {"guest_name": "Lukas Meyer", "guest_email": "lukas@example.org"}
CHLOE = {"guest_name": "Chloé Martin", "guest_email": "chloe@example.net"}
SAM = {"guest_name": "Sam Carter", "guest_email": "sam@example.net"}
SPAMMER = {"guest_name": "Best Deals Online", "guest_email": "deals@example.net"}

# The comments of each article, by slug, in the order they are posted.
COMMENTS: dict[str, tuple[CommentSeed, ...]] = {
    "welcome-to-blogsite": (
        CommentSeed("Found it, signed in, left a comment. Works!", **ANA, status=APPROVED),
        CommentSeed("Glad to be writing here.", username="tomas"),
        CommentSeed(
            "Welcome, Tomás! Your first draft is on the dashboard whenever you want it.", username="maya", reply_to=1
        ),
        CommentSeed("Found it. Publishing on Tuesday, as the house style says.", username="tomas", reply_to=2),
        CommentSeed(
            "Thanks for trying it, Ana: replies like this one nest under the comment they answer.",
            username="maya",
            reply_to=0,
        ),
    ),
    "writing-a-little-every-day": (
        CommentSeed("I did this for a month last year and finished my first short story. Thank you.", **LUKAS),
        CommentSeed("Seventy thousand words a year puts it in perspective.", username="jonah"),
        CommentSeed("Does journaling count, or does it have to be for readers?", **CHLOE, status=PENDING),
        CommentSeed("Cheap essays written for you!!! Click here", **SPAMMER, status=REJECTED),
    ),
    "editing-your-own-drafts": (
        CommentSeed("The order of the passes is the bit I always get wrong.", username="priya"),
        CommentSeed("Reading aloud on the train gets you some looks, but it works.", **SAM),
    ),
    "markdown-for-writers": (
        CommentSeed("Pinned this next to my keyboard.", **ANA),
        CommentSeed("Could you cover footnotes in a follow-up?", username="tomas"),
    ),
    "moderating-comments": (
        CommentSeed("Twice a day is ambitious. We manage once a week.", **LUKAS),
        CommentSeed("What do you do about long off-topic threads?", **SAM, status=PENDING),
        CommentSeed("Buy followers and likes, best prices", **SPAMMER, status=REJECTED),
    ),
    "counting-things-correctly": (
        CommentSeed("The read-modify-write race bit us in production. Great write-up.", **LUKAS),
        CommentSeed("How does this behave with many writers on SQLite?", **CHLOE),
        CommentSeed("This is why I let Maya handle the words and you the numbers.", username="maya"),
        CommentSeed("Would a trigger not be simpler?", **SAM, status=PENDING),
    ),
    "row-locks-a-gentle-introduction": (
        CommentSeed("The deadlock paragraph finally made it click for me.", username="jonah"),
    ),
    "sqlite-is-probably-enough": (
        CommentSeed("Running a small shop on SQLite for three years now. Agree.", **ANA),
        CommentSeed("The backup tip alone was worth it.", username="priya"),
        CommentSeed("Hot take but correct.", **SAM, status=APPROVED),
    ),
    "rss-is-not-dead": (
        CommentSeed("Long live RSS.", **LUKAS),
        CommentSeed("Which reader app do you use?", **CHLOE, status=PENDING),
    ),
    "lisbon-on-foot": (
        CommentSeed("Walking tram 28's route downhill is genius.", **ANA),
        CommentSeed("Adding this to our list for spring.", username="jonah"),
        CommentSeed("Cheap flights to Lisbon here >>>", **SPAMMER, status=REJECTED),
    ),
    "night-train-to-vienna": (
        CommentSeed("The couchette is the sweet spot, agreed.", **LUKAS),
        CommentSeed("Did you book directly or through a reseller?", **SAM, status=PENDING),
        CommentSeed("Convinced. Booking one for the autumn.", username="maya"),
    ),
    "packing-light": (
        CommentSeed("Putting half back is painful and correct.", **CHLOE),
        CommentSeed("Now do one for a family of four!", **ANA),
    ),
    "ring-road-trip-notes": (CommentSeed("These notes got us around the island. Thanks!", **SAM),),
    "weeknight-dal": (
        CommentSeed("Made it twice this week. The tadka is everything.", **CHLOE),
        CommentSeed("Cooked this after a long day on the road. Perfect.", username="priya"),
        CommentSeed("Can I use yellow split peas instead?", **LUKAS, status=PENDING),
    ),
    "sourdough-without-the-fuss": (
        CommentSeed("The fridge overnight trick changed everything for me.", **ANA),
        CommentSeed("I will try this one. My last starter did not survive August.", username="maya"),
        CommentSeed("Best sourdough course, 90% off today only", **SPAMMER, status=REJECTED),
    ),
    "caring-for-cast-iron": (CommentSeed("Finally someone says it about the soap.", **SAM),),
    "the-only-tomato-salad-you-need": (
        CommentSeed("Salt and wait. So simple, so good.", username="tomas"),
        CommentSeed("Is there a version for winter tomatoes?", **CHLOE, status=PENDING),
    ),
}


def read_article(path: Path) -> ArticleSeed:
    """One article file: ``key: value`` header lines, a blank line, then the Markdown body.

    The file is named ``<number>-<slug>.md``: the number keeps the order the
    demo creates them in. Optional keys: ``category`` (uncategorised without
    it), ``days from now`` (drafts have none) and ``views``.
    """
    header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    fields = dict(line.split(": ", 1) for line in header.splitlines())
    slug = path.stem.split("-", 1)[1]
    days_from_now = fields.get("days from now")
    return ArticleSeed(
        slug=slug,
        title=fields["title"],
        author=fields["author"],
        category=fields.get("category"),
        status=Article.Status(fields["status"]),
        excerpt=fields["excerpt"],
        body=body.strip() + "\n",
        days_from_now=None if days_from_now is None else int(days_from_now),
        views=int(fields.get("views", 0)),
        comments=COMMENTS.get(slug, ()),
        tags=tuple(name.strip() for name in fields.get("tags", "").split(",") if name.strip()),
    )


def read_articles() -> tuple[ArticleSeed, ...]:
    articles = tuple(read_article(path) for path in sorted(ARTICLES_DIR.glob("*.md")))
    # A renamed file would otherwise lose its comments without a word.
    if stray := COMMENTS.keys() - {article.slug for article in articles}:
        raise ValueError(f"Comments for articles that have no file: {', '.join(sorted(stray))}")
    return articles


ARTICLES = read_articles()
