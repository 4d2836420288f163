"""What the demo site contains: people, categories, articles and their comments.

Plain data, kept apart from ``articles.demo`` (which writes it) so the texts
can be edited without reading any database code. Every object carries the
natural key that makes seeding idempotent: a username, a category name, an
article slug.
"""

from __future__ import annotations

from dataclasses import dataclass
from textwrap import dedent

from comments.models import Comment

from .models import Article

PUBLISHED = Article.Status.PUBLISHED
DRAFT = Article.Status.DRAFT
SCHEDULED = Article.Status.SCHEDULED
ARCHIVED = Article.Status.ARCHIVED

APPROVED = Comment.Status.APPROVED
PENDING = Comment.Status.PENDING
REJECTED = Comment.Status.REJECTED


def markdown(text: str) -> str:
    """Lets the bodies below be indented with the code around them."""
    return dedent(text).strip() + "\n"


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

ARTICLES: tuple[ArticleSeed, ...] = (
    ArticleSeed(
        slug="welcome-to-blogsite",
        title="Welcome to the blogsite demo",
        author="maya",
        category=None,
        status=PUBLISHED,
        days_from_now=-1,
        views=212,
        excerpt="A tour of this demo site: who writes here, what to try, and how to sign in.",
        body=markdown("""
            ## A site that is already alive

            Everything you see here was created by `manage.py seed_demo`: four
            authors, five categories, a couple of dozen articles in every state,
            and comments waiting for moderation.

            ### Things to try

            1. Open an article and leave a comment as a guest: it waits for moderation.
            2. Sign in as **maya** (password `demo-password`) and open your *dashboard*
               to see drafts and scheduled articles next to the published ones.
            3. Sign in to the [admin](/admin/) to approve or reject comments, and watch
               the comment counts change.

            ### Who writes here

            - **Maya** edits the site and writes about writing.
            - **Tomás** writes about databases and the open web.
            - **Priya** travels by train and writes it down.
            - **Jonah** cooks, mostly on weeknights.

            Running the command again adds nothing: the demo is only created once.
            """),
        comments=(
            CommentSeed("Found it, signed in, left a comment. Works!", **ANA, status=APPROVED),
            CommentSeed("Glad to be writing here.", username="tomas"),
        ),
    ),
    # --- Writing (Maya) ---
    ArticleSeed(
        slug="writing-a-little-every-day",
        title="The case for writing a little every day",
        author="maya",
        category="Writing",
        status=PUBLISHED,
        days_from_now=-118,
        views=1342,
        excerpt="Two hundred words a day beats a heroic weekend, and it is easier to start.",
        body=markdown("""
            Most people who want to write wait for a free weekend. The weekend
            comes, the blank page wins, and the next attempt is a month away.

            ## Small, every day

            Two hundred words a day is about **seventy thousand a year**. That is
            a book, or fifty long articles, written in the time it takes to drink
            a coffee.

            What makes it work:

            - *A fixed time.* Before email, not after it.
            - *A low bar.* Bad sentences count. You will fix them later.
            - *A visible streak.* A calendar with crosses on it is surprisingly
              motivating.

            ## What to write about

            Anything you explained to someone this week. If it was worth saying
            out loud, it is worth two hundred words.

            > The first draft of anything is rough. That is its job.

            Start tomorrow morning. Stop at two hundred words even if you want to
            go on: wanting to continue is the best way to come back.
            """),
        comments=(
            CommentSeed("I did this for a month last year and finished my first short story. Thank you.", **LUKAS),
            CommentSeed("Seventy thousand words a year puts it in perspective.", username="jonah"),
            CommentSeed("Does journaling count, or does it have to be for readers?", **CHLOE, status=PENDING),
            CommentSeed("Cheap essays written for you!!! Click here", **SPAMMER, status=REJECTED),
        ),
    ),
    ArticleSeed(
        slug="editing-your-own-drafts",
        title="How to edit your own drafts",
        author="maya",
        category="Writing",
        status=PUBLISHED,
        days_from_now=-74,
        views=876,
        excerpt="Three passes, in a fixed order, and a night's sleep between writing and editing.",
        body=markdown("""
            Editing your own work is hard because you read what you *meant*, not
            what you wrote. Distance helps: sleep on a draft before you edit it.

            ## Three passes

            1. **Structure.** Does every section earn its place? Move, merge, cut.
            2. **Paragraphs.** One idea each, the point in the first sentence.
            3. **Sentences.** Shorter verbs, fewer adverbs, no throat-clearing.

            Do them in that order. Polishing a sentence in a paragraph you later
            delete is the most common waste of an editing hour.

            ## Read it aloud

            Your ear catches what your eye skips: repeated words, sentences that
            run out of breath, a rhythm that never changes.

            ## Words to search for

            ```text
            very, really, just, actually, in order to, it is important to note
            ```

            Most of them can go without replacement.
            """),
        comments=(
            CommentSeed("The order of the passes is the bit I always get wrong.", username="priya"),
            CommentSeed("Reading aloud on the train gets you some looks, but it works.", **SAM),
        ),
    ),
    ArticleSeed(
        slug="markdown-for-writers",
        title="Markdown for writers: the ten percent you need",
        author="maya",
        category="Writing",
        status=PUBLISHED,
        days_from_now=-96,
        views=1580,
        excerpt="Headings, emphasis, lists, links and quotes: all a writer needs from Markdown fits on one page.",
        body=markdown("""
            Every article on this site is written in
            [Markdown](https://commonmark.org/help/), a way of formatting text
            with ordinary characters. You need very little of it.

            ## The essentials

            | You type               | You get          |
            | ---------------------- | ---------------- |
            | `*emphasis*`           | *emphasis*       |
            | `**strong**`           | **strong**       |
            | `## Heading`           | a section title  |
            | `[text](https://…)`    | a link           |
            | `> quoted text`        | a quotation      |

            ## Lists

            Start lines with `-` for bullets or `1.` for numbers:

            ```markdown
            - flour
            - water
            - salt

            1. Mix.
            2. Wait.
            3. Bake.
            ```

            ## When you need more

            You rarely do. A good article is mostly paragraphs; formatting is
            for readers who skim, not for decoration.
            """),
        comments=(
            CommentSeed("Pinned this next to my keyboard.", **ANA),
            CommentSeed("Could you cover footnotes in a follow-up?", username="tomas"),
        ),
    ),
    ArticleSeed(
        slug="a-style-guide-for-small-teams",
        title="A style guide for small teams",
        author="maya",
        category="Writing",
        status=PUBLISHED,
        days_from_now=-31,
        views=402,
        excerpt="One page, ten rules, and a place to write down every argument you have already settled.",
        body=markdown("""
            A style guide is not a rule book. It is a record of arguments you
            do not want to have twice.

            ## Start with one page

            Ours began with ten lines:

            - Dates as *12 March 2024*, never *3/12*.
            - Numbers: words up to nine, digits from 10.
            - Headings in sentence case.
            - Oxford comma, always.
            - *Email*, not *e-mail*.

            ## Grow it from real edits

            Each time an editor corrects the same thing twice, it goes in the
            guide, with an example. Rules without examples are ignored.

            ## Keep it findable

            Link it from the editor, pin it in chat, and read it together once
            a year to delete what nobody follows.
            """),
    ),
    # --- Publishing (Maya) ---
    ArticleSeed(
        slug="moderating-comments",
        title="Moderating comments without losing your mind",
        author="maya",
        category="Publishing",
        status=PUBLISHED,
        days_from_now=-12,
        views=318,
        excerpt="A short queue, a written policy and a bias towards approving: how we keep comments worth reading.",
        body=markdown("""
            Comments from signed-in readers appear at once here; comments from
            guests wait in a queue until an editor looks at them.

            ## Our policy, in full

            1. Be kind to the author and to each other.
            2. Stay on the topic of the article.
            3. No advertising.

            Anything else is approved, *including disagreement*. A comment
            section where everyone agrees is not worth reading.

            ## Keep the queue short

            We look at pending comments **twice a day**. A guest who waits a
            week for their comment to appear does not comment again.

            ## Rejecting is not deleting

            A rejected comment stays in the admin, out of sight. If we got it
            wrong, approving it later puts it back, and the counts follow.
            """),
        comments=(
            CommentSeed("Twice a day is ambitious. We manage once a week.", **LUKAS),
            CommentSeed("What do you do about long off-topic threads?", **SAM, status=PENDING),
            CommentSeed("Buy followers and likes, best prices", **SPAMMER, status=REJECTED),
        ),
    ),
    ArticleSeed(
        slug="why-we-publish-on-tuesday-mornings",
        title="Why we publish on Tuesday mornings",
        author="maya",
        category="Publishing",
        status=SCHEDULED,
        days_from_now=3,
        excerpt="Scheduling articles ahead, and why the day matters less than the habit.",
        body=markdown("""
            This article is **scheduled**: it is written, and it will go out on
            its own. `manage.py publish_due` publishes it when its time comes.

            ## Why schedule at all

            - Writers write when they can; readers read when they do.
            - A steady rhythm teaches readers when to come back.
            - Nobody has to be awake at 7 a.m. to press a button.

            ## Why Tuesday

            Honestly? Monday is full of email, and Friday is full of plans.
            Tuesday worked for us. Pick a day and keep it.
            """),
    ),
    ArticleSeed(
        slug="newsletter-or-blog",
        title="Newsletter or blog? Why not both",
        author="maya",
        category="Publishing",
        status=DRAFT,
        excerpt="Followers already get an email for every new article. Is that a newsletter?",
        body=markdown("""
            *Draft — notes to turn into an article.*

            - Followers get an email when an author publishes: that is half a newsletter already.
            - What a newsletter adds: a voice, a digest, links to other people's work.
            - What a blog adds: an archive, search, addresses that last.

            TODO: ask Tomás whether a weekly digest is easy to build on top of the feed.
            """),
    ),
    # --- Technology (Tomás) ---
    ArticleSeed(
        slug="counting-things-correctly",
        title="Counting things correctly in a database",
        author="tomas",
        category="Technology",
        status=PUBLISHED,
        days_from_now=-61,
        views=2210,
        excerpt="A comment count that says 12 when there are 11: where counters drift, and how to keep them exact.",
        body=markdown("""
            Every "12 comments" under an article title is a **denormalised
            counter**: a number stored next to the row so that a listing does
            not have to count every comment of every article.

            ## How counters drift

            - A read-modify-write: two requests read 11, both write 12.
            - A status change nobody counted: a comment rejected after approval.
            - A bulk update that skips the code which keeps the count.

            ## How to keep them exact

            Let the database do the arithmetic, in the same transaction as the
            change that causes it:

            ```python
            Article.objects.filter(pk=article.pk).update(
                comment_count=F("comment_count") + 1
            )
            ```

            And keep a way to check: a query that recounts everything and
            prints what differs. On this site that is
            `manage.py check_counters`.
            """),
        comments=(
            CommentSeed("The read-modify-write race bit us in production. Great write-up.", **LUKAS),
            CommentSeed("How does this behave with many writers on SQLite?", **CHLOE),
            CommentSeed("This is why I let Maya handle the words and you the numbers.", username="maya"),
            CommentSeed("Would a trigger not be simpler?", **SAM, status=PENDING),
        ),
    ),
    ArticleSeed(
        slug="row-locks-a-gentle-introduction",
        title="A gentle introduction to row locks",
        author="tomas",
        category="Technology",
        status=PUBLISHED,
        days_from_now=-40,
        views=965,
        excerpt="SELECT … FOR UPDATE, explained with two people editing the same article at once.",
        body=markdown("""
            Two editors open the same article. One publishes it, the other moves
            it to another category. Which counts are right afterwards?

            ## Lock, then read

            `SELECT … FOR UPDATE` reads a row **and locks it** until your
            transaction ends. The second editor's transaction waits, then reads
            the row as the first one left it.

            ```sql
            BEGIN;
            SELECT status, category_id FROM articles_article WHERE id = 42 FOR UPDATE;
            -- decide, then write
            COMMIT;
            ```

            ## Lock in a fixed order

            Two transactions that lock rows A then B, and B then A, can wait on
            each other forever: a *deadlock*. Always lock in primary-key order
            and that cannot happen.

            Further reading: the PostgreSQL manual's chapter on
            [explicit locking](https://www.postgresql.org/docs/current/explicit-locking.html).
            """),
        comments=(CommentSeed("The deadlock paragraph finally made it click for me.", username="jonah"),),
    ),
    ArticleSeed(
        slug="sqlite-is-probably-enough",
        title="SQLite is probably enough for your side project",
        author="tomas",
        category="Technology",
        status=PUBLISHED,
        days_from_now=-19,
        views=1733,
        excerpt="One file, no server, and more concurrency than a side project will ever need.",
        body=markdown("""
            Before you set up a database server for a project with ten users,
            consider a file.

            ## What SQLite is good at

            - **Zero set-up**: the database is a file next to your code.
            - **Reads**: many readers at once, fast.
            - **Backups**: copy the file (or use `.backup` while it runs).

            ## What it is not good at

            Many *writers* at once. Writes take turns; with a timeout they queue
            instead of failing:

            ```python
            DATABASES["default"]["OPTIONS"] = {"timeout": 20}
            ```

            ## When to move

            When you run several processes on several machines, or need row
            locks for real. This site runs on both: SQLite by default,
            PostgreSQL when `DATABASE_URL` says so.
            """),
        comments=(
            CommentSeed("Running a small shop on SQLite for three years now. Agree.", **ANA),
            CommentSeed("The backup tip alone was worth it.", username="priya"),
            CommentSeed("Hot take but correct.", **SAM, status=APPROVED),
        ),
    ),
    ArticleSeed(
        slug="rss-is-not-dead",
        title="RSS is not dead",
        author="tomas",
        category="Technology",
        status=PUBLISHED,
        days_from_now=-5,
        views=644,
        excerpt="Feeds are still the simplest way to follow a site without an account, an algorithm or an inbox.",
        body=markdown("""
            Every few years someone declares RSS dead. Meanwhile, every podcast
            you have ever listened to was delivered by it.

            ## Why feeds still matter

            - No account: readers follow you without giving anyone an email.
            - No algorithm: they see everything you publish, in order.
            - No lock-in: any reader app works with any site.

            ## Follow this site

            The whole site has a feed at [/feed/](/feed/), and so does every
            category and author. Paste the address into a feed reader and you
            are done.

            *Tip:* most readers find the feed on their own if you paste the
            site's home page.
            """),
        comments=(
            CommentSeed("Long live RSS.", **LUKAS),
            CommentSeed("Which reader app do you use?", **CHLOE, status=PENDING),
        ),
    ),
    ArticleSeed(
        slug="unicode-slugs",
        title="Unicode slugs, or: café is a word",
        author="tomas",
        category="Technology",
        status=DRAFT,
        excerpt="Why an article called Crème brûlée should not live at /articles/crme-brle/.",
        body=markdown("""
            *Draft.*

            Dropping every letter that is not ASCII from a title turns
            *Crème brûlée* into `crme-brle`. Keeping the letters gives
            `crème-brûlée`, which browsers display and encode correctly.

            ```python
            slugify("Crème brûlée", allow_unicode=True)  # 'crème-brûlée'
            ```

            Still to write: titles with no letters at all, like "2024".
            """),
    ),
    ArticleSeed(
        slug="property-based-testing-in-an-afternoon",
        title="Property-based testing in an afternoon",
        author="tomas",
        category="Technology",
        status=SCHEDULED,
        days_from_now=10,
        excerpt="Stop writing examples; describe what must always be true and let the library find the counterexample.",
        body=markdown("""
            Example-based tests check the cases you thought of. Property-based
            tests check the ones you did not.

            ## The idea

            Instead of *"publishing this draft makes the count 1"*, state a
            property: *"after any sequence of edits, the count equals the number
            of published articles"*. The library generates the sequences.

            ```python
            @given(st.lists(st.sampled_from(["publish", "archive", "delete"])))
            def test_count_is_exact(actions):
                ...
            ```

            ## What you get

            When it fails, it **shrinks** the failing case to the shortest
            sequence that still fails: usually two or three steps you can read.
            """),
    ),
    # --- Travel (Priya) ---
    ArticleSeed(
        slug="lisbon-on-foot",
        title="Lisbon on foot in three days",
        author="priya",
        category="Travel",
        status=PUBLISHED,
        days_from_now=-101,
        views=1876,
        excerpt="Seven hills, one pair of good shoes, and the tram you should skip.",
        body=markdown("""
            Lisbon is a city of hills and viewpoints, and the best way to see
            it is slowly, on foot, with stops for coffee.

            ## Day one: Alfama

            Get lost on purpose. The streets are too narrow for a plan; follow
            the sound of *fado* in the evening.

            ## Day two: Baixa and Chiado

            - Walk the Rua Augusta to the river.
            - Climb to the Miradouro de São Pedro de Alcântara at sunset.
            - Skip the queue for **tram 28**: walk its route instead, downhill.

            ## Day three: Belém

            Take the train along the river, eat a *pastel de nata* where they
            were invented, and walk back as far as your legs allow.

            ### Packing note

            Cobblestones are polished smooth. Wear shoes with grip.
            """),
        comments=(
            CommentSeed("Walking tram 28's route downhill is genius.", **ANA),
            CommentSeed("Adding this to our list for spring.", username="jonah"),
            CommentSeed("Cheap flights to Lisbon here >>>", **SPAMMER, status=REJECTED),
        ),
    ),
    ArticleSeed(
        slug="night-train-to-vienna",
        title="Taking the night train to Vienna",
        author="priya",
        category="Travel",
        status=PUBLISHED,
        days_from_now=-52,
        views=1190,
        excerpt="Fall asleep in one country, wake up in another: what a couchette is really like.",
        body=markdown("""
            I boarded at nine in the evening with a paperback and a sandwich,
            and woke up to the Danube.

            ## Choosing a berth

            1. **Seat**: cheapest, and you will regret it.
            2. **Couchette**: six bunks, shared, with sheets. Good value.
            3. **Sleeper**: a private cabin with a washbasin. A treat.

            ## What to bring

            - Earplugs and an eye mask.
            - Water: the dining car closes early.
            - A small bag you can keep on the bunk with you.

            ## Was it worth it?

            A flight would have been faster *on paper*. Counting the airport,
            the train won, and I arrived rested, in the middle of the city.
            """),
        comments=(
            CommentSeed("The couchette is the sweet spot, agreed.", **LUKAS),
            CommentSeed("Did you book directly or through a reseller?", **SAM, status=PENDING),
            CommentSeed("Convinced. Booking one for the autumn.", username="maya"),
        ),
    ),
    ArticleSeed(
        slug="packing-light",
        title="Packing light: one bag for two weeks",
        author="priya",
        category="Travel",
        status=PUBLISHED,
        days_from_now=-26,
        views=2034,
        excerpt="A packing list that fits under an airline seat, and the three things I never leave behind.",
        body=markdown("""
            One bag, under seven kilos, for two weeks in any season but deep
            winter. Here is the list.

            ## Clothes

            - 3 tops, 2 bottoms, 1 warm layer, 1 rain shell
            - 4 pairs of socks and underwear (wash every third day)
            - 1 pair of walking shoes, *worn* on the journey

            ## The three things I never leave behind

            1. A universal plug adapter.
            2. A soft tote that folds into a pocket.
            3. A paper copy of my tickets and address.

            ## The rule

            Lay out everything you want to take, then put **half** of it back.
            You will still have too much.
            """),
        comments=(
            CommentSeed("Putting half back is painful and correct.", **CHLOE),
            CommentSeed("Now do one for a family of four!", **ANA),
        ),
    ),
    ArticleSeed(
        slug="kyoto-in-the-rain",
        title="Kyoto in the rain",
        author="priya",
        category="Travel",
        status=DRAFT,
        excerpt="Empty temples, wet moss and the best tofu of my life.",
        body=markdown("""
            *Draft — still sorting the photos.*

            It rained for four days straight, and it was the best thing that
            could have happened:

            - the temple gardens were **empty**;
            - the moss was greener than any postcard;
            - every café had a stand for wet umbrellas.

            Need to add: the tofu restaurant near Nanzen-ji, and how to get there.
            """),
    ),
    ArticleSeed(
        slug="ring-road-trip-notes",
        title="Driving the Ring Road: trip notes",
        author="priya",
        category="Travel",
        status=ARCHIVED,
        days_from_now=-412,
        views=3105,
        excerpt="Old notes from a road trip around Iceland. Prices and road conditions have changed since.",
        body=markdown("""
            *Archived: these notes are from an older trip and many details are
            out of date.*

            ## The route

            Clockwise from Reykjavík, ten days, about 1,400 km.

            ## What we learned

            - Fill the tank whenever you can; stations are far apart in the east.
            - Check the road conditions **every morning**.
            - The weather changes hourly. Pack for all of it.
            """),
        comments=(CommentSeed("These notes got us around the island. Thanks!", **SAM),),
    ),
    # --- Food (Jonah) ---
    ArticleSeed(
        slug="weeknight-dal",
        title="A weeknight dal that tastes like Sunday",
        author="jonah",
        category="Food",
        status=PUBLISHED,
        days_from_now=-86,
        views=1455,
        excerpt="Red lentils, a hot spiced butter poured over at the end, and thirty minutes from start to table.",
        body=markdown("""
            Red lentils cook in twenty minutes and need no soaking, which makes
            this dal the most useful recipe I know.

            ## Ingredients (serves 4)

            - 250 g red lentils, rinsed
            - 1 onion, 3 garlic cloves, a thumb of ginger
            - 1 tsp turmeric, 1 tsp cumin seeds, 1 dried chilli
            - 2 tbsp butter or ghee, salt, a lemon

            ## Method

            1. Simmer the lentils with turmeric in 1 litre of water for 20 minutes.
            2. Meanwhile fry the onion slowly until **deep golden**.
            3. Add garlic and ginger for one minute, then stir into the lentils.
            4. In a small pan, heat the butter until it foams; add cumin and chilli.
            5. Pour the sizzling butter over the dal. Salt, lemon, done.

            The last step is the *tadka*, and it is the whole point: do not skip it.
            """),
        comments=(
            CommentSeed("Made it twice this week. The tadka is everything.", **CHLOE),
            CommentSeed("Cooked this after a long day on the road. Perfect.", username="priya"),
            CommentSeed("Can I use yellow split peas instead?", **LUKAS, status=PENDING),
        ),
    ),
    ArticleSeed(
        slug="sourdough-without-the-fuss",
        title="Sourdough without the fuss",
        author="jonah",
        category="Food",
        status=PUBLISHED,
        days_from_now=-45,
        views=2876,
        excerpt="A schedule that fits around a working day, and the only three numbers you need to remember.",
        body=markdown("""
            Sourdough has a reputation for being demanding. Most of that comes
            from recipes written for bakeries.

            ## Three numbers

            For one loaf:

            ```text
            flour   500 g
            water   350 g   (70%)
            salt     10 g   (2%)
            starter 100 g   (20%)
            ```

            ## A schedule for a working day

            - **Morning**: mix everything, cover, go to work.
            - **Evening**: a few folds, shape, into the fridge overnight.
            - **Next morning**: bake straight from the fridge at 250 °C.

            ## What actually matters

            A lively starter and patience. Everything else is *detail*.
            """),
        comments=(
            CommentSeed("The fridge overnight trick changed everything for me.", **ANA),
            CommentSeed("I will try this one. My last starter did not survive August.", username="maya"),
            CommentSeed("Best sourdough course, 90% off today only", **SPAMMER, status=REJECTED),
        ),
    ),
    ArticleSeed(
        slug="caring-for-cast-iron",
        title="Caring for cast iron: myths and facts",
        author="jonah",
        category="Food",
        status=PUBLISHED,
        days_from_now=-15,
        views=799,
        excerpt="Yes, you can use soap. No, you should not soak it overnight.",
        body=markdown("""
            A cast-iron pan outlives its owner if you treat it right, and
            treating it right is easier than the internet suggests.

            ## Myths

            - *"Never use soap."* Modern dish soap does not strip seasoning.
            - *"Never cook tomatoes."* A short simmer is fine; an all-day sauce
              is not.

            ## Facts

            - **Do not soak it.** Rust starts in hours.
            - **Dry it on the heat**, then wipe a drop of oil over it.
            - **Use it often.** Every fry-up adds to the seasoning.

            See also: [Sourdough without the fuss](/articles/sourdough-without-the-fuss/),
            which bakes beautifully in a cast-iron pot.
            """),
        comments=(CommentSeed("Finally someone says it about the soap.", **SAM),),
    ),
    ArticleSeed(
        slug="the-only-tomato-salad-you-need",
        title="The only tomato salad you need",
        author="jonah",
        category="Food",
        status=PUBLISHED,
        days_from_now=-2,
        views=187,
        excerpt="Good tomatoes, salt, fifteen minutes of patience. Everything else is optional.",
        body=markdown("""
            In August, a tomato salad is dinner.

            1. Cut ripe tomatoes into wedges.
            2. Salt them **generously** and wait fifteen minutes.
            3. Pour off nothing: that juice is the dressing.
            4. Add olive oil, torn basil, and a few slices of red onion.

            Serve with bread to mop up the bowl. If your tomatoes are pale and
            hard, make the dal instead and wait for summer.
            """),
        comments=(
            CommentSeed("Salt and wait. So simple, so good.", username="tomas"),
            CommentSeed("Is there a version for winter tomatoes?", **CHLOE, status=PENDING),
        ),
    ),
    ArticleSeed(
        slug="ten-pantry-staples",
        title="Ten pantry staples for quick dinners",
        author="jonah",
        category="Food",
        status=DRAFT,
        excerpt="With these in the cupboard, dinner is always twenty minutes away.",
        body=markdown("""
            *Draft.*

            1. Red lentils
            2. Tinned tomatoes
            3. Chickpeas
            4. Rice
            5. Dried pasta
            6. Onions and garlic
            7. Good olive oil
            8. Soy sauce
            9. Cumin seeds
            10. Lemons (not strictly pantry, but always)

            TODO: a one-line dinner idea for each.
            """),
    ),
)
