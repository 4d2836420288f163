from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from blogsite.counters import CountedModel


class AuthorQuerySet(models.QuerySet):
    def with_user(self) -> AuthorQuerySet:
        # An author's name is their user's: join it instead of one more query.
        return self.select_related("user")

    def with_follower_total(self) -> AuthorQuerySet:
        # Counted in the author's own query: the follow button and the
        # dashboard show it at no extra query.
        return self.annotate(follower_total=models.Count("followers"))


class Author(CountedModel):
    """The public profile of a user who writes; created with the user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="author")
    bio = models.TextField(blank=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    # Published articles; kept by articles.receivers, never by save().
    article_count = models.PositiveIntegerField(default=0, editable=False)

    counter_fields = ("article_count",)

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(condition=models.Q(article_count__gte=0), name="author_article_count_gte_0"),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def get_absolute_url(self) -> str:
        return reverse("author_detail", kwargs={"username": self.user.get_username()})


class FollowQuerySet(models.QuerySet):
    def is_following(self, user, author: Author) -> bool:
        """Whether ``user`` (perhaps anonymous: then no query) follows ``author``."""
        return user.is_authenticated and self.filter(follower=user, author=author).exists()


class Follow(models.Model):
    """A reader who wants an email when an author publishes."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "author"], name="follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.author}"
