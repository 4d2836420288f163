"""Account sign-up, following authors, and unsubscribing from their email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import PasswordResetView, redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import CreateView, TemplateView

from blogsite.auth_backends import THIS_BACKEND
from blogsite.rate_limits import seconds_until_allowed, wait_phrase

from .forms import QueuedPasswordResetForm, SignUpForm
from .models import Author, Follow
from .services import follow_author, unfollow_author
from .unsubscribe import UnsubscribeLink, UnsubscribeLinkExpired, UnsubscribeLinkInvalid


class RateLimitedFormMixin:
    """Refuse a POST over ``rate_limit_action``'s limits with 429: the form again, as typed, and when to retry.

    Counted for every POST, valid or not: each one hashes a password or may
    send an email, which is what a flood costs.
    """

    rate_limit_action: str
    too_fast: str

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wait = seconds_until_allowed(request, self.rate_limit_action)
        if wait is None:
            return super().post(request, *args, **kwargs)
        self.object = None  # what CreateView.post sets first: its context reads it (a FormView ignores it)
        form = self.get_form()
        form.is_valid()  # the field errors too, so that one retry can succeed
        form.add_error(None, f"{self.too_fast} Please try again {wait_phrase(wait)}.")
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response


class SignUpView(RateLimitedFormMixin, CreateView):
    rate_limit_action = "signup"
    too_fast = "Too many sign-ups from your network."
    form_class = SignUpForm
    template_name = "registration/signup.html"
    success_url = reverse_lazy("dashboard")

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(self.success_url)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        # The post_save receiver creates the Author profile: one transaction
        # keeps user and profile together, and the welcome email it queues
        # leaves only once both are committed.
        with transaction.atomic():
            self.object = form.save()
        # Named: with axes' backend first there are two, and only this one authenticates.
        login(self.request, self.object, backend=THIS_BACKEND)
        messages.success(self.request, f"Welcome to blogsite, {self.object.get_short_name() or self.object}!")
        return HttpResponseRedirect(self.get_success_url())


class RateLimitedPasswordResetView(RateLimitedFormMixin, PasswordResetView):
    rate_limit_action = "password_reset"
    too_fast = "Too many password reset requests."
    form_class = QueuedPasswordResetForm


class FollowActionView(LoginRequiredMixin, View):
    """POST-only base for follow and unfollow: act, then go back to the author's page."""

    http_method_names = ["post"]

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # A GET changes nothing, so it is refused before a guest is asked to log in for it.
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def author_url(self) -> str:
        return reverse("author_detail", kwargs={"username": self.kwargs["username"]})

    def handle_no_permission(self) -> HttpResponse:
        # After logging in the guest lands on the author's page, where the
        # button is; the follow URL itself only answers POST.
        return redirect_to_login(self.author_url(), self.get_login_url(), self.get_redirect_field_name())

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        author = get_object_or_404(Author.objects.with_user(), user__username=kwargs["username"])
        self.act(author)
        return redirect(self.author_url())

    def act(self, author: Author) -> None:
        raise NotImplementedError


class FollowAuthorView(FollowActionView):
    def act(self, author: Author) -> None:
        try:
            follow_author(user=self.request.user, author=author)
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
        else:
            messages.success(self.request, f"You follow {author}: you will get an email when they publish.")


class UnfollowAuthorView(FollowActionView):
    def act(self, author: Author) -> None:
        unfollow_author(user=self.request.user, author=author)
        messages.success(self.request, f"You no longer follow {author}.")


@method_decorator(csrf_exempt, name="dispatch")  # a mail client's one-click POST carries no CSRF token
@method_decorator(never_cache, name="dispatch")
class UnsubscribeView(TemplateView):
    """``/unsubscribe/<token>/``: stop a follower's email about an author, from the email itself.

    GET only shows what the link would do: mail scanners open every link in a
    message, and must not unfollow anyone. POST unfollows: the page's button,
    or a mail client's RFC 8058 one-click request (``List-Unsubscribe=One-Click``).
    POST with ``follow`` follows again, from the page that confirms.
    """

    template_name = "authors/unsubscribe.html"
    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            link = UnsubscribeLink.read(kwargs["token"])
        except UnsubscribeLinkExpired:
            return self.refused("expired", status=410)
        except UnsubscribeLinkInvalid:
            return self.refused("invalid", status=400)
        self.follower = get_user_model()._default_manager.filter(pk=link.follower_id, is_active=True).first()
        self.author = Author.objects.with_user().filter(pk=link.author_id).first()
        if self.follower is None or self.author is None:
            # The account or the author is gone: no email can come any more.
            return self.refused("gone", status=200)
        return super().dispatch(request, *args, **kwargs)

    def refused(self, reason: str, *, status: int) -> HttpResponse:
        return self.render_to_response({"refused": reason}, status=status)

    def get_context_data(self, **kwargs):
        following = Follow.objects.filter(follower=self.follower, author=self.author).exists()
        return super().get_context_data(author=self.author, following=following, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "follow" in request.POST:
            follow_author(user=self.follower, author=self.author)
            return self.render_to_response(self.get_context_data(done="followed"))
        unfollow_author(user=self.follower, author=self.author)
        return self.render_to_response(self.get_context_data(done="unfollowed"))
