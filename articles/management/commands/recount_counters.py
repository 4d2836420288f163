from django.core.management.base import BaseCommand
from django.db import transaction

from articles.recount import recount_all


class Command(BaseCommand):
    help = "Repair every counter from the rows it counts (one statement per counted table)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            repaired = recount_all()
        for label, count in repaired.items():
            self.stdout.write(f"{label}: {count} row(s) repaired")
        self.stdout.write(self.style.SUCCESS(f"Counters recounted; {sum(repaired.values())} row(s) were wrong."))
