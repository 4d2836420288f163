"""Writing autosaves: one row per author and article, race-safe, and never the article's row."""

import threading
from unittest import mock

import pytest
from django.db import IntegrityError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from autosaves.models import Autosave, AutosaveQuerySet
from autosaves.services import DraftText, delete_autosave, save_autosave
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

TEXT = DraftText("A title", "An excerpt", "A body being written")


def test_the_first_autosave_inserts_and_the_next_ones_update_the_same_row(author):
    article = ArticleFactory(author=author)
    with CaptureQueriesContext(connection) as first:
        save_autosave(user=author.user, article=article, text=TEXT, base_version="v1")
    with CaptureQueriesContext(connection) as second:
        save_autosave(user=author.user, article=article, text=DraftText("A title", "", "More body"), base_version="v2")
    # An UPDATE finding no row, then the INSERT in a savepoint; afterwards, one UPDATE.
    assert [query["sql"].split()[0] for query in first.captured_queries] == ["UPDATE", "SAVEPOINT", "INSERT", "RELEASE"]
    assert [query["sql"].split()[0] for query in second.captured_queries] == ["UPDATE"]
    autosave = Autosave.objects.get()
    assert (autosave.body, autosave.base_version, autosave.article) == ("More body", "v2", article)


def test_the_new_article_form_has_one_autosave_per_user(author, reader):
    save_autosave(user=author.user, article=None, text=TEXT, base_version="")
    save_autosave(user=author.user, article=None, text=DraftText("Other", "", ""), base_version="")
    save_autosave(user=reader, article=None, text=TEXT, base_version="")
    assert sorted(Autosave.objects.values_list("user__username", "title")) == [("alice", "Other"), ("bob", "A title")]


def test_the_database_refuses_a_second_new_article_autosave_for_one_user(author):
    Autosave.objects.create(user=author.user, article=None, updated_at=timezone.now())
    with pytest.raises(IntegrityError):
        Autosave.objects.create(user=author.user, article=None, updated_at=timezone.now())


def first_update_finds_no_row(calls: list[int], barrier: threading.Barrier | None = None):
    """QuerySet.update as seen by a tab whose first UPDATE ran before the other tab's INSERT.

    With ``barrier``, each thread's first UPDATE returns only once every thread has made its own.
    """
    real_update = QuerySet.update

    def update(self, **fields):
        calls.append(threading.get_ident())
        if calls.count(threading.get_ident()) > 1:
            return real_update(self, **fields)
        if barrier is not None:
            barrier.wait()
        return 0

    return mock.patch.object(AutosaveQuerySet, "update", update)


def test_losing_the_insert_race_to_another_tab_updates_the_row_it_inserted(author):
    article = ArticleFactory(author=author)
    other_tab = Autosave.objects.create(user=author.user, article=article, body="other tab", updated_at=timezone.now())
    calls: list[int] = []
    with first_update_finds_no_row(calls):
        save_autosave(user=author.user, article=article, text=TEXT, base_version="v1")
    # UPDATE (no row), INSERT refused by the constraint, UPDATE again.
    assert len(calls) == 2
    other_tab.refresh_from_db()
    assert other_tab.body == TEXT.body
    assert Autosave.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_tabs_inserting_the_first_autosave_at_once_leave_one_row(on_postgres):
    article = ArticleFactory()
    user = article.author.user
    both_updated = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def tab(body: str) -> None:
        try:
            save_autosave(user=user, article=article, text=DraftText("t", "", body), base_version="")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    calls: list[int] = []
    # Each tab's UPDATE finds no row before either INSERT: both insert, and the constraint refuses one.
    with first_update_finds_no_row(calls, both_updated):
        threads = [threading.Thread(target=tab, args=(f"tab {n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
    assert errors == []
    # Two UPDATEs finding nothing, then the loser of the INSERT race updating the winner's row.
    assert len(calls) == 3
    assert list(Autosave.objects.values_list("body", flat=True)) in (["tab 1"], ["tab 2"])


def test_text_the_article_already_holds_removes_the_autosave(author):
    article = ArticleFactory(author=author, title="Same", excerpt="", body="Same body")
    save_autosave(user=author.user, article=article, text=DraftText("Same", "", "Changed"), base_version="v1")
    # What saving the form would store: surrounding space stripped, CRLF as LF.
    save_autosave(user=author.user, article=article, text=DraftText(" Same ", "", "Same body\r\n"), base_version="v1")
    assert not Autosave.objects.exists()


def test_an_empty_new_article_form_keeps_no_autosave(author):
    save_autosave(user=author.user, article=None, text=TEXT, base_version="")
    save_autosave(user=author.user, article=None, text=DraftText("", "", ""), base_version="")
    assert not Autosave.objects.exists()


def test_delete_removes_only_that_users_autosave_of_that_article(author, reader):
    article, other = ArticleFactory(author=author), ArticleFactory(author=author)
    for user, on in ((author.user, article), (author.user, other), (author.user, None), (reader, article)):
        save_autosave(user=user, article=on, text=TEXT, base_version="")
    delete_autosave(user=author.user, article=article)
    remaining = set(Autosave.objects.values_list("user__username", "article"))
    assert remaining == {("alice", other.pk), ("alice", None), ("bob", article.pk)}
