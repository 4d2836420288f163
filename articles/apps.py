from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"

    def ready(self) -> None:
        from . import receivers
        from .models import Article
        from .tag_links import lock_before_set

        receivers.register()
        # set() of the tags, from either side, locks what it will count first.
        lock_before_set(Article, "tags")
