"""The signed-in user's profile page: name, email, bio and avatar."""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from authors.models import Author
from authors.profile import ProfileForm
from tests.factories import ArticleFactory, UserFactory
from tests.test_images import image_bytes, png_header

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("profile_edit")


def profile_data(**overrides) -> dict:
    data = {"first_name": "Alice", "last_name": "Liddell", "email": "alice@example.com", "bio": "I count things."}
    return {**data, **overrides}


@pytest.fixture
def author_client(client, author):
    client.force_login(author.user)
    return client


def test_a_guest_is_sent_to_log_in(client):
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_form_shows_the_current_values(author_client, author):
    response = author_client.get(PROFILE_URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert (form["first_name"].value(), form["email"].value()) == ("Alice", author.user.email)


def test_saving_name_email_bio_and_a_resized_avatar(author_client, author):
    avatar = SimpleUploadedFile("me.jpg", image_bytes((800, 600), "JPEG"), content_type="image/jpeg")
    response = author_client.post(PROFILE_URL, {**profile_data(email="New@EXAMPLE.com"), "avatar": avatar})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Profile saved."]
    author.refresh_from_db()
    author.user.refresh_from_db()
    assert (author.user.get_full_name(), author.user.email, author.bio) == (
        "Alice Liddell",
        "New@example.com",  # the domain is normalised, as at sign-up
        "I count things.",
    )
    assert author.avatar.name.startswith("avatars/")
    with Image.open(author.avatar.path) as stored:
        assert (stored.format, stored.size) == ("JPEG", (256, 256))


@pytest.mark.parametrize(
    "content", [b"text, not a picture", png_header(100_000, 100_000), b"\0" * (5 * 1024 * 1024 + 1)]
)
def test_a_bad_avatar_is_an_error_next_to_the_field_and_nothing_is_saved(author_client, author, content):
    avatar = SimpleUploadedFile("me.png", content, content_type="image/png")
    response = author_client.post(PROFILE_URL, {**profile_data(bio="Not saved"), "avatar": avatar})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["avatar"]
    assert "Not saved" in response.content.decode()  # the input is kept
    author.refresh_from_db()
    assert (author.bio, author.avatar.name) == ("", "")


def test_an_email_another_account_uses_is_refused(author_client):
    UserFactory(email="taken@example.com")
    response = author_client.post(PROFILE_URL, profile_data(email="TAKEN@example.com"))
    assert list(response.context["form"].errors) == ["email"]


def test_email_is_required_and_must_be_an_address(author_client):
    assert list(author_client.post(PROFILE_URL, profile_data(email="")).context["form"].errors) == ["email"]
    assert list(author_client.post(PROFILE_URL, profile_data(email="nope")).context["form"].errors) == ["email"]


def test_clearing_the_avatar_removes_the_file(author_client, author, django_capture_on_commit_callbacks):
    avatar = SimpleUploadedFile("me.png", image_bytes(), content_type="image/png")
    author_client.post(PROFILE_URL, {**profile_data(), "avatar": avatar})
    author.refresh_from_db()
    path = Path(author.avatar.path)
    with django_capture_on_commit_callbacks(execute=True):
        author_client.post(PROFILE_URL, {**profile_data(), "avatar-clear": "on"})
    author.refresh_from_db()
    assert author.avatar.name == ""
    assert not path.exists()


def test_a_profile_form_opened_before_a_publication_never_resets_the_count(author_client, author):
    stale = Author.objects.select_related("user").get(pk=author.pk)  # article_count 0 in memory
    author_client.get(PROFILE_URL)
    ArticleFactory(author=author, status="published")

    form = ProfileForm(profile_data(bio="From a stale copy"), instance=stale)
    assert form.is_valid(), form.errors
    form.save()
    author_client.post(PROFILE_URL, profile_data(bio="Through the page"))

    author.refresh_from_db()
    assert (author.bio, author.article_count) == ("Through the page", 1)
    assert stale.article_count == 0  # the copy was stale, and its save wrote no counter
