"""``runserver`` that also runs the periodic tasks when no task worker will (TASK_QUEUE=in-process)."""

from django.conf import settings
from whitenoise.runserver_nostatic.management.commands.runserver import Command as WhiteNoiseRunserver

from blogsite.in_process_periodic import start_in_process_periodic_tasks


class Command(WhiteNoiseRunserver):
    def inner_run(self, *args, **options) -> None:
        # inner_run is the serving process (the autoreloader's child), so the
        # tasks run once, not also in the process that watches the files.
        if settings.TASK_QUEUE == "in-process":
            start_in_process_periodic_tasks()
            self.stdout.write("Periodic tasks (publishing due articles, flushing views) run in this process.")
        super().inner_run(*args, **options)
