"""Login throttling (django-axes, per username and IP) and the limits on sign-ups and password reset requests."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from authors.tasks import send_password_reset_email
from tests.effects import run_deferred_jobs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def victim(db):
    return UserFactory(username="victim")


def log_in(client, username: str, password: str, *, ip: str = ATTACKER, url: str | None = None):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_five_wrong_passwords_then_the_right_one_does_not_log_in(client, victim):
    answers = [log_in(client, "victim", f"guess-{n}").status_code for n in range(25)]
    assert answers[:4] == [200] * 4  # the form again, with its error
    assert set(answers[5:]) == {429}
    response = log_in(client, "victim", PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    html = response.content.decode()
    assert "Too many failed logins" in html and "paused for 15 minutes" in html
    assert response["Retry-After"] == "900"


def test_the_lockout_ends_after_the_cool_off(client, victim, settings):
    for n in range(5):
        log_in(client, "victim", f"guess-{n}")
    assert log_in(client, "victim", PASSWORD).status_code == 429
    from axes.models import AccessAttempt

    # Fifteen minutes later, as far as axes can tell.
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert log_in(client, "victim", PASSWORD).status_code == 302 and signed_in(client)


def test_the_owner_from_another_address_still_logs_in(client, victim):
    for n in range(25):
        log_in(client, "victim", f"guess-{n}")
    assert log_in(client, "victim", PASSWORD, ip=OWNER).status_code == 302 and signed_in(client)


def test_the_attacker_is_locked_out_of_that_username_only(client, victim):
    UserFactory(username="other")
    for n in range(5):
        log_in(client, "victim", f"guess-{n}")
    assert log_in(client, "other", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(client):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for n in range(5):
        log_in(client, "boss", f"guess-{n}", url=url)
    response = log_in(client, "boss", PASSWORD, url=url)
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert log_in(client, "boss", PASSWORD, url=url, ip=OWNER).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, victim):
    for n in range(4):
        log_in(client, "victim", f"guess-{n}")
    assert log_in(client, "victim", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for n in range(4):
        assert log_in(client, "victim", f"guess-{n}").status_code == 200


# --- Sign-up and password reset -------------------------------------------------------


def signup_data(n: int) -> dict[str, str]:
    password = "a-long-and-unusual-pass-phrase"
    return {"username": f"new{n}", "email": f"new{n}@example.com", "password1": password, "password2": password}


def test_the_eleventh_sign_up_in_an_hour_from_one_address_is_refused_with_the_input_kept(client):
    for n in range(10):
        assert client.post(reverse("signup"), signup_data(n)).status_code == 302
        client.post(reverse("logout"))
    response = client.post(reverse("signup"), signup_data(10))
    html = response.content.decode()
    assert response.status_code == 429
    assert "Too many sign-ups from your network. Please try again in" in html
    assert 'value="new10@example.com"' in html
    assert client.post(reverse("signup"), signup_data(11), REMOTE_ADDR=OWNER).status_code == 302


def test_one_address_gets_three_reset_emails_an_hour_from_however_many_networks(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(username="frank", email="frank@example.com")
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for n, email in enumerate(
            ["frank@example.com", "FRANK@example.com ", "frank@example.com", "frank@example.com"]
        ):
            response = client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=f"192.0.2.{n}")
            answers.append(response.status_code)
    run_deferred_jobs(send_password_reset_email)
    assert answers == [302, 302, 302, 429]
    assert "Too many password reset requests." in response.content.decode()
    assert 'value="frank@example.com"' in response.content.decode()
    assert len(mailoutbox) == 3


def test_a_username_longer_than_any_is_a_failed_login_not_a_500(client):
    # Django's login form passes any length to authenticate(); axes' column holds 255.
    response = log_in(client, "x" * 5000, "guess")
    assert response.status_code == 200 and not signed_in(client)
