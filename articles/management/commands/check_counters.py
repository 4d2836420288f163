from django.core.management.base import BaseCommand, CommandError

from articles.recount import find_drift


class Command(BaseCommand):
    help = "Print every counter that differs from the rows it counts; exit 1 if any does."

    def handle(self, *args, **options) -> None:
        drifted = 0
        for drift in find_drift():
            drifted += 1
            self.stdout.write(str(drift))
        if drifted:
            raise CommandError(f"{drifted} counter(s) drifted; run `manage.py recount_counters`.", returncode=1)
        self.stdout.write(self.style.SUCCESS("All counters are exact."))
