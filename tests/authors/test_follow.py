"""Following and unfollowing an author from their page."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from authors.models import Follow
from tests.factories import make_author

pytestmark = pytest.mark.django_db


def follow_url(author) -> str:
    return reverse("author_follow", kwargs={"username": author.user.username})


def unfollow_url(author) -> str:
    return reverse("author_unfollow", kwargs={"username": author.user.username})


def author_url(author) -> str:
    return reverse("author_detail", kwargs={"username": author.user.username})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_following_then_unfollowing_changes_the_follower_count(client, author, reader):
    client.force_login(reader)

    response = client.post(follow_url(author), follow=True)
    assert response.redirect_chain == [(author_url(author), 302)]
    assert author.followers.count() == 1
    assert messages_of(response) == ["You follow Alice: you will get an email when they publish."]

    response = client.post(unfollow_url(author), follow=True)
    assert response.redirect_chain == [(author_url(author), 302)]
    assert author.followers.count() == 0
    assert messages_of(response) == ["You no longer follow Alice."]


def test_following_twice_keeps_one_follow(client, author, reader):
    client.force_login(reader)
    client.post(follow_url(author))
    response = client.post(follow_url(author))
    assert response.status_code == 302
    assert Follow.objects.filter(follower=reader, author=author).count() == 1


def test_unfollowing_someone_not_followed_is_harmless(client, author, reader):
    client.force_login(reader)
    assert client.post(unfollow_url(author)).status_code == 302


def test_following_yourself_is_refused_with_a_message(client, author):
    client.force_login(author.user)
    response = client.post(follow_url(author), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["You cannot follow yourself."]
    assert not Follow.objects.exists()


def test_a_guest_is_sent_to_log_in_and_back_to_the_author_page(client, author):
    response = client.post(follow_url(author))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={author_url(author)}"
    assert not Follow.objects.exists()


@pytest.mark.parametrize("logged_in", [True, False])
def test_get_is_not_allowed(client, author, reader, logged_in):
    if logged_in:
        client.force_login(reader)
    assert client.get(follow_url(author)).status_code == 405
    assert client.get(unfollow_url(author)).status_code == 405
    assert not Follow.objects.exists()


def test_an_unknown_author_is_a_404(client, reader):
    client.force_login(reader)
    assert client.post("/authors/nobody/follow/").status_code == 404


class TestFollowButton:
    def render(self, author, user, *, is_following=False, follower_total=3) -> str:
        author.follower_total = follower_total
        request = RequestFactory().get("/")
        request.user = user
        return render_to_string(
            "authors/_follow_button.html", {"author": author, "is_following": is_following}, request
        )

    def test_a_reader_sees_the_count_and_follow(self, author, reader):
        html = self.render(author, reader)
        assert "3</span> followers" in html
        assert f'action="{follow_url(author)}"' in html and ">Follow</button>" in html

    def test_a_follower_sees_unfollow(self, author, reader):
        html = self.render(author, reader, is_following=True, follower_total=1)
        assert "1</span> follower<" in html
        assert f'action="{unfollow_url(author)}"' in html and ">Unfollow</button>" in html

    def test_a_guest_is_invited_to_log_in(self, author):
        html = self.render(author, AnonymousUser())
        assert "Log in to follow" in html
        assert "<form" not in html

    def test_your_own_page_shows_the_count_but_no_button(self, author):
        html = self.render(author, author.user)
        assert "follower" in html
        assert "<form" not in html and "Log in to follow" not in html

    def test_rendering_runs_no_query(self, author, reader, django_assert_num_queries):
        with django_assert_num_queries(0):
            self.render(author, reader)


def test_the_author_page_shows_the_button(client, reader):
    other = make_author(username="carol")
    client.force_login(reader)
    page = client.get(author_url(other)).content.decode()
    assert f'action="{follow_url(other)}"' in page
