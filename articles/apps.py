from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"

    def ready(self) -> None:
        from blogsite import page_cache

        from . import receivers

        receivers.register()
        page_cache.register()
