from django.apps import AppConfig


class BlogsiteConfig(AppConfig):
    """The project's own app: the ledger of sent email, the record of failed tasks, the page cache."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "blogsite"
    verbose_name = "Site tasks"

    def ready(self) -> None:
        # The page cache serves the whole site, so the site wires it; every
        # app's models are loaded by ready(), first in INSTALLED_APPS or not.
        from . import page_cache

        page_cache.register()
