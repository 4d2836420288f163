"""Authors' and categories' published counts under every kind of write."""

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from articles.models import Article, Category
from authors.models import Author
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, CategoryFactory, CommentFactory, UserFactory, make_author

pytestmark = pytest.mark.django_db

PUBLISHED = Article.Status.PUBLISHED
DRAFT = Article.Status.DRAFT


def counts(*rows):
    """The stored counters of authors and categories, as a reader of the site would see them."""
    return [type(row)._base_manager.get(pk=row.pk).article_count for row in rows]


def test_creating_a_published_article_counts_it_for_its_author_and_category(author):
    category = CategoryFactory()
    ArticleFactory(author=author, category=category, status=PUBLISHED)
    assert counts(author, category) == [1, 1]


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.SCHEDULED, Article.Status.ARCHIVED])
def test_unpublished_statuses_are_not_counted(author, status):
    article = ArticleFactory(author=author, status=status)
    assert counts(author, article.category) == [0, 0]


def test_publishing_and_unpublishing_moves_the_counts(author):
    article = ArticleFactory(author=author)
    article.status = PUBLISHED
    article.save()
    assert counts(author, article.category) == [1, 1]
    article.status = Article.Status.ARCHIVED
    article.save()
    assert counts(author, article.category) == [0, 0]


def test_saving_a_published_article_again_counts_it_once(author):
    article = ArticleFactory(author=author, status=PUBLISHED)
    for _ in range(3):
        article.title += "!"
        article.save()
    assert counts(author, article.category) == [1, 1]


def test_moving_a_published_article_between_categories():
    old, new = CategoryFactory(), CategoryFactory()
    article = ArticleFactory(category=old, status=PUBLISHED)
    article.category = new
    article.save()
    assert counts(old, new) == [0, 1]
    article.category = None
    article.save()
    assert counts(old, new) == [0, 0]


def test_moving_a_published_article_between_authors():
    first, second = make_author(), make_author()
    article = ArticleFactory(author=first, status=PUBLISHED)
    article.author = second
    article.save(update_fields=["author"])
    assert counts(first, second) == [0, 1]


def test_move_and_unpublish_in_one_save():
    old, new = CategoryFactory(), CategoryFactory()
    first, second = make_author(), make_author()
    article = ArticleFactory(author=first, category=old, status=PUBLISHED)
    article.category, article.author, article.status = new, second, DRAFT
    article.save()
    assert counts(first, second, old, new) == [0, 0, 0, 0]


def test_move_and_publish_in_one_save():
    old, new = CategoryFactory(), CategoryFactory()
    article = ArticleFactory(category=old, status=DRAFT)
    article.category, article.status = new, PUBLISHED
    article.save()
    assert counts(old, new) == [0, 1]


def test_update_fields_without_status_ignores_an_unsaved_status_change(author):
    article = ArticleFactory(author=author, status=DRAFT)
    article.status = PUBLISHED  # changed in memory, but not among the saved fields
    article.title = "Renamed"
    article.save(update_fields=["title"])
    assert Article.objects.get(pk=article.pk).status == DRAFT
    assert counts(author) == [0]


def test_a_stale_copy_saved_late_does_not_count_twice(author):
    article = ArticleFactory(author=author, status=DRAFT)
    stale = Article.objects.get(pk=article.pk)
    article.status = PUBLISHED
    article.save()
    # The stale copy still says draft; saving it with status published must
    # not count the publication a second time.
    stale.status = PUBLISHED
    stale.title = "Edited from an old form"
    stale.save()
    assert counts(author, article.category) == [1, 1]


def test_a_stale_copy_that_unpublishes_is_judged_against_the_stored_row(author):
    article = ArticleFactory(author=author, status=DRAFT)
    stale = Article.objects.get(pk=article.pk)  # says draft
    article.status = PUBLISHED
    article.save()
    stale.save()  # writes status=draft back: that is an unpublication
    assert Article.objects.get(pk=article.pk).status == DRAFT
    assert counts(author, article.category) == [0, 0]


def test_full_saves_never_write_counters_back(author):
    category = CategoryFactory()
    stale_author = Author.objects.get(pk=author.pk)
    stale_category = Category.objects.get(pk=category.pk)
    article = ArticleFactory(author=author, category=category, status=PUBLISHED)
    CommentFactory(article=article, status="approved")
    stale_article = Article.objects.get(pk=article.pk)
    CommentFactory(article=article, status="approved")

    stale_author.bio = "Edited in a profile form opened before the article was published"
    stale_author.save()
    stale_category.description = "Edited in the admin"
    stale_category.save()
    stale_article.title = "Edited before the second comment was approved"
    stale_article.save()

    assert counts(author, category) == [1, 1]
    assert Article.objects.get(pk=article.pk).comment_count == 2
    assert Author.objects.get(pk=author.pk).bio.startswith("Edited")


def test_counters_named_in_update_fields_are_not_written(author):
    ArticleFactory(author=author, status=PUBLISHED)
    stale = Author.objects.get(pk=author.pk)
    stale.article_count = 99
    stale.save(update_fields=["article_count", "bio"])
    assert counts(author) == [1]


def test_a_new_row_starts_its_counters_at_zero(author):
    article = ArticleFactory.build(author=author, category=None, comment_count=7, view_count=3)
    article.save()
    article.refresh_from_db()
    assert (article.comment_count, article.view_count) == (0, 0)


def test_deleting_a_published_article(author):
    article = ArticleFactory(author=author, status=PUBLISHED)
    category = article.category
    article.delete()
    assert counts(author, category) == [0, 0]


def test_queryset_delete_of_many_articles():
    categories = CategoryFactory.create_batch(2)
    authors = [make_author(), make_author()]
    for i in range(8):
        ArticleFactory(author=authors[i % 2], category=categories[i // 4], status=PUBLISHED if i % 3 else DRAFT)
    Article.objects.filter(pk__in=Article.objects.order_by("pk").values("pk")[:5]).delete()
    assert_counters_exact()
    Article.objects.all().delete()
    assert counts(*authors, *categories) == [0, 0, 0, 0]


def test_deleting_a_user_cascades_to_their_articles_and_their_categories_counts():
    user = UserFactory()
    category = CategoryFactory()
    ArticleFactory.create_batch(3, author=user.author, category=category, status=PUBLISHED)
    ArticleFactory(category=category, status=PUBLISHED)  # someone else's
    user.delete()
    assert counts(category) == [1]
    assert_counters_exact()


def test_deleting_a_category_leaves_its_articles_uncategorised_and_authors_counts_alone(author):
    category = CategoryFactory()
    article = ArticleFactory(author=author, category=category, status=PUBLISHED)
    category.delete()
    article.refresh_from_db()
    assert article.category is None
    assert counts(author) == [1]
    assert_counters_exact()


def test_deleting_a_row_another_process_already_deleted_changes_nothing(author):
    article = ArticleFactory(author=author, status=PUBLISHED)
    ArticleFactory(author=author, category=article.category, status=PUBLISHED)
    copy = Article.objects.get(pk=article.pk)
    article.delete()
    copy.delete()  # the row is gone: nothing left to uncount
    assert counts(author, article.category) == [1, 1]


def test_saving_a_stale_copy_of_a_deleted_article_fails_and_changes_nothing(author):
    article = ArticleFactory(author=author, status=DRAFT)
    copy = Article.objects.get(pk=article.pk)
    article.delete()
    copy.status = PUBLISHED
    # Not resurrected by an UPDATE-then-INSERT: the save fails (in a savepoint
    # of the caller's, so the test's transaction can go on).
    with pytest.raises(DatabaseError), transaction.atomic():
        copy.save()
    assert counts(author) == [0]
    assert not Article.objects.filter(pk=copy.pk).exists()


def test_a_rolled_back_write_leaves_counters_as_they_were(author):
    article = ArticleFactory(author=author, status=DRAFT)
    with pytest.raises(RuntimeError), transaction.atomic():
        article.status = PUBLISHED
        article.save()
        raise RuntimeError("the view failed after saving")
    assert counts(author, article.category) == [0, 0]


def test_raw_fixture_loads_leave_counters_to_recount(author):
    now = timezone.now()
    article = ArticleFactory.build(
        author=author, category=None, status=PUBLISHED, slug="from-a-fixture", created_at=now, updated_at=now
    )
    article.save_base(raw=True)
    assert counts(author) == [0]  # fixtures carry their counters; recount_counters settles them


@pytest.mark.django_db
def test_deleting_a_user_reads_their_articles_in_one_locked_query(django_assert_max_num_queries):
    category = CategoryFactory()  # one counter row to update, however many articles

    def author_with_articles(count):
        author = make_author()
        for _ in range(count):
            ArticleFactory(author=author, category=category, status=Article.Status.PUBLISHED)
        return author

    few = author_with_articles(2)
    with django_assert_max_num_queries(60) as two:
        few.user.delete()
    many = author_with_articles(20)
    with django_assert_max_num_queries(len(two.captured_queries)):
        many.user.delete()
    assert not Article.objects.exists()
    assert_counters_exact()
