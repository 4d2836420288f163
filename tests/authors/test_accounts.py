"""Sign-up, log-in and the password views that Django's auth app routes to our templates."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from authors.models import Author
from authors.tasks import send_password_reset_email
from tests.effects import run_deferred_jobs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

PASSWORD = "a-long-unusual-passphrase-42"


def signup_data(**overrides) -> dict:
    return {
        "username": "dana",
        "email": "dana@example.com",
        "first_name": "Dana",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


def test_signing_up_creates_one_author_logs_in_and_sends_the_welcome(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), signup_data(), follow=True)

    user = User.objects.get(username="dana")
    assert (user.email, user.first_name) == ("dana@example.com", "Dana")
    assert Author.objects.filter(user=user).count() == 1
    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    assert response.context["user"] == user
    assert "Welcome to blogsite, Dana!" in response.content.decode()
    run_deferred_jobs()
    assert [m.to for m in mailoutbox] == [["dana@example.com"]]


def test_the_signup_page_has_every_field_with_a_label(client):
    page = client.get(reverse("signup")).content.decode()
    labelled = set(re.findall(r'<label\s+for="id_(\w+)"', page))
    assert labelled == {"username", "email", "first_name", "password1", "password2"}


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.COM"])
def test_an_email_already_used_is_a_field_error_with_the_input_kept(client, email):
    UserFactory(username="first", email="taken@example.com")
    response = client.post(reverse("signup"), signup_data(username="second", email=email))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["email"] == ["An account with this email address already exists."]
    page = response.content.decode()
    assert 'value="second"' in page and f'value="{email}"' in page
    assert not User.objects.filter(username="second").exists()


def test_a_username_already_used_in_another_case_is_a_field_error(client):
    UserFactory(username="dana")
    response = client.post(reverse("signup"), signup_data(username="DANA", email="other@example.com"))
    assert "username" in response.context["form"].errors
    assert 'value="other@example.com"' in response.content.decode()


def test_email_is_required(client):
    response = client.post(reverse("signup"), signup_data(email=""))
    assert response.context["form"].errors["email"] == ["This field is required."]


def test_mismatched_passwords_are_refused_without_a_500(client):
    response = client.post(reverse("signup"), signup_data(password2="something-else-entirely"))
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors


def test_a_signed_in_user_visiting_signup_goes_to_the_dashboard(client):
    client.force_login(UserFactory())
    assert client.get(reverse("signup")).url == reverse("dashboard")
    assert client.post(reverse("signup"), signup_data()).url == reverse("dashboard")
    assert not User.objects.filter(username="dana").exists()


def test_logging_in_and_out(client):
    UserFactory(username="erin", password=PASSWORD)
    response = client.post(reverse("login"), {"username": "erin", "password": PASSWORD})
    assert response.url == reverse("dashboard")
    response = client.post(reverse("logout"))
    assert response.url == reverse("home")


def test_a_wrong_password_shows_the_login_form_again(client):
    UserFactory(username="erin", password=PASSWORD)
    response = client.post(reverse("login"), {"username": "erin", "password": "nope"})
    assert response.status_code == 200
    assert 'value="erin"' in response.content.decode()


def test_logout_by_get_is_refused(client):
    assert client.get(reverse("logout")).status_code == 405


def test_the_password_reset_link_in_the_email_sets_a_new_password(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(username="frank", email="frank@example.com")
    with django_capture_on_commit_callbacks(execute=True):  # the email leaves after the request's commit
        response = client.post(reverse("password_reset"), {"email": "FRANK@example.com"}, follow=True)
    assert "Check your email" in response.content.decode()
    run_deferred_jobs(send_password_reset_email)

    [email] = mailoutbox
    assert email.to == ["frank@example.com"]
    assert email.subject == "Reset your blogsite password"
    # The link points at SITE_URL, never at whatever Host header the request carried.
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/reset/\S+/)", email.body).group(1)

    # Django swaps the token in the URL for one kept in the session.
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    new_password = "another-long-passphrase-77"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new_password)
    # A used link says so instead of failing.
    assert client.get(link, follow=True).context["validlink"] is False


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert run_deferred_jobs(send_password_reset_email) == [] and mailoutbox == []


def test_changing_the_password(client):
    user = UserFactory(password=PASSWORD)
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200
    new_password = "yet-another-passphrase-99"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
        follow=True,
    )
    assert "Password changed" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_a_failing_email_backend_never_breaks_the_reset_page(
    client, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    UserFactory(email="gina@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "gina@example.com"}, follow=True)
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    run_deferred_jobs(send_password_reset_email)
    assert "SMTP server refused the connection" in caplog.text
