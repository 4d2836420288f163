"""Each tag's published-article count, exact under every way a tag or an article changes."""

import pytest
from django.db import IntegrityError, transaction

from articles.models import Article, ArticleTag, Tag
from articles.services import publish_article, set_article_status
from tests.conftest import assert_counters_exact
from tests.factories import ArticleFactory, make_author

pytestmark = pytest.mark.django_db

PUBLISHED, DRAFT = Article.Status.PUBLISHED, Article.Status.DRAFT


def count_of(tag: Tag) -> int:
    return Tag.objects.get(pk=tag.pk).article_count


@pytest.fixture
def tags():
    return [Tag.objects.create(name=name, slug=name.lower()) for name in ("Python", "Django", "Counting")]


def test_adding_tags_to_a_published_article_counts_it_and_to_a_draft_does_not(tags):
    python, django, _ = tags
    published, draft = ArticleFactory(status=PUBLISHED), ArticleFactory(status=DRAFT)

    published.tags.add(python, django)
    draft.tags.add(python)
    python.articles.add(ArticleFactory(status=PUBLISHED))  # from the tag's side

    assert (count_of(python), count_of(django)) == (2, 1)
    assert_counters_exact()


def test_adding_a_tag_twice_counts_it_once(tags):
    python = tags[0]
    article = ArticleFactory(status=PUBLISHED)

    article.tags.add(python)
    article.tags.add(python)
    Article.objects.get(pk=article.pk).tags.set([python])

    assert count_of(python) == 1
    assert_counters_exact()


def test_publishing_and_unpublishing_move_every_tag_of_the_article(tags):
    article = ArticleFactory(status=DRAFT)
    article.tags.set(tags)

    publish_article(Article.objects.get(pk=article.pk))
    assert [count_of(tag) for tag in tags] == [1, 1, 1]

    set_article_status(Article.objects.get(pk=article.pk), Article.Status.ARCHIVED)
    assert [count_of(tag) for tag in tags] == [0, 0, 0]
    assert_counters_exact()


@pytest.mark.parametrize("how", ["remove", "remove_reverse", "clear", "clear_reverse", "set", "delete_link"])
def test_every_way_of_removing_a_tag_uncounts_it_once(tags, how):
    python, django, _ = tags
    article = ArticleFactory(status=PUBLISHED)
    article.tags.add(python, django)

    {
        "remove": lambda: article.tags.remove(python),
        "remove_reverse": lambda: python.articles.remove(article),
        "clear": lambda: article.tags.clear(),
        "clear_reverse": lambda: python.articles.clear(),
        "set": lambda: article.tags.set([django]),
        "delete_link": lambda: ArticleTag.objects.filter(tag=python).delete(),
    }[how]()

    assert count_of(python) == 0
    assert_counters_exact()


def test_a_link_made_or_deleted_on_its_own_counts_like_add_and_remove(tags):
    python = tags[0]
    article = ArticleFactory(status=PUBLISHED)

    link = ArticleTag.objects.create(article=article, tag=python)
    assert count_of(python) == 1
    link.delete()
    assert count_of(python) == 0
    assert_counters_exact()


def test_deleting_articles_uncounts_their_tags_and_deleting_a_tag_leaves_the_others(tags):
    python, django, counting = tags
    author = make_author(username="leaving")
    for _ in range(3):
        ArticleFactory(author=author, status=PUBLISHED).tags.add(python, django)
    kept = ArticleFactory(status=PUBLISHED)
    kept.tags.add(python, counting)
    single = ArticleFactory(status=PUBLISHED)
    single.tags.add(counting)

    author.user.delete()  # a cascade: the author's articles and their links
    single.delete()
    django.delete()

    assert (count_of(python), count_of(counting)) == (1, 1)
    assert_counters_exact()


def test_a_rolled_back_tagging_counts_nothing(tags):
    python = tags[0]
    article = ArticleFactory(status=PUBLISHED)

    with pytest.raises(RuntimeError), transaction.atomic():
        article.tags.add(python)
        raise RuntimeError

    assert count_of(python) == 0


def test_a_link_cannot_be_moved_in_place(tags):
    python, django, _ = tags
    article = ArticleFactory(status=PUBLISHED)
    article.tags.add(python)
    link = ArticleTag.objects.get()
    link.tag = django

    with pytest.raises(ValueError, match="never changed in place"):
        link.save()
    assert (count_of(python), count_of(django)) == (1, 0)


def test_two_tags_differing_only_in_case_cannot_both_exist():
    Tag.objects.create(name="Python", slug="python")

    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="python", slug="python-2")


def test_a_link_another_writer_removed_first_is_uncounted_once(tags):
    # Django sends a delete's pre_delete and post_delete even for a row another
    # writer deleted since it was read: a stale link deleted counts nothing more.
    python = tags[0]
    article = ArticleFactory(status=PUBLISHED)
    article.tags.add(python)
    stale = ArticleTag.objects.get(tag=python)

    Article.objects.get(pk=article.pk).tags.remove(python)  # the other writer, first
    stale.delete()

    assert count_of(python) == 0
    assert_counters_exact()
