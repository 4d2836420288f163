"""Writes on authors and follows that views and commands share."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from .models import Author, Follow


def follow_author(*, user: AbstractBaseUser, author: Author) -> Follow:
    if author.user_id == user.pk:
        raise ValidationError("You cannot follow yourself.", code="self_follow")
    follow, _ = Follow.objects.get_or_create(follower=user, author=author)
    return follow


def unfollow_author(*, user: AbstractBaseUser, author: Author) -> None:
    Follow.objects.filter(follower=user, author=author).delete()
