from django.apps import AppConfig


class BlogsiteConfig(AppConfig):
    """The project's own app: the ledger of sent email and the record of failed tasks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "blogsite"
    verbose_name = "Site tasks"
