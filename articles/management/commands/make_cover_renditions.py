from django.core.management.base import BaseCommand

from articles.cover_renditions import make_missing_renditions


class Command(BaseCommand):
    help = (
        "Make the srcset and link-preview renditions of every article's cover that has none yet "
        "(covers uploaded before renditions existed, or whose renditions failed). Run it again any time: "
        "covers that have them are left alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="remake the renditions of every cover")

    def handle(self, *args, force: bool, **options) -> None:
        made = make_missing_renditions(force=force, report=self.stderr.write)
        self.stdout.write(f"Renditions made for {made.made} cover(s); {made.present} had them; {made.failed} failed.")
