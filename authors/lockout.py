"""django-axes' hooks: the page a locked-out login gets (429, for how long), and the username it counts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": (credentials or {}).get("username") or request.POST.get("username", ""),
        "cooloff_minutes": minutes,
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username a login tried (AXES_USERNAME_CALLABLE), cut to what a username can be.

    Django's login form sends any length to ``authenticate``; axes stores it
    in a 255-character column, so a longer one was a 500 on PostgreSQL. No
    username is longer than the model allows, so the cut locks out nobody else.
    """
    username = (credentials or {}).get("username") or request.POST.get("username")
    if not username:
        return None
    return str(username).replace("\x00", "")[: get_user_model()._meta.get_field("username").max_length]
