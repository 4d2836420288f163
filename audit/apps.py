from django.apps import AppConfig


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "audit log"

    def ready(self) -> None:
        from . import receivers

        receivers.register()
