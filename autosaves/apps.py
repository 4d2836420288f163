from django.apps import AppConfig


class AutosavesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "autosaves"
    verbose_name = "autosaves"
