import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError

from articles.revision_retention import RetentionPolicy, prune_revisions


def whole_number(text: str) -> int:
    """1 or more, for argparse: anything else is an error that names the value."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"a whole number, 1 or more, is needed, not {text!r}")
    return number


class Command(BaseCommand):
    help = (
        "Delete old revisions of articles, never an article's latest one, and the cover files only they "
        "showed. Every revision is kept unless REVISIONS_KEPT_PER_ARTICLE or an option here sets a limit."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--keep",
            type=whole_number,
            metavar="N",
            help="keep each article's newest N revisions (default: REVISIONS_KEPT_PER_ARTICLE)",
        )
        parser.add_argument(
            "--older-than", type=whole_number, metavar="DAYS", help="delete only revisions older than DAYS days"
        )
        parser.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")

    def handle(self, *args, keep, older_than, dry_run, **options) -> None:
        try:
            default = RetentionPolicy.from_settings()
            policy = RetentionPolicy(
                keep=keep or default.keep,
                older_than=datetime.timedelta(days=older_than) if older_than else None,
            )
        except ValueError as error:
            raise CommandError(f"REVISIONS_KEPT_PER_ARTICLE: {error}") from error
        if policy.keeps_everything:
            self.stdout.write("Every revision is kept (no REVISIONS_KEPT_PER_ARTICLE, no --keep or --older-than).")
            return
        pruned = prune_revisions(policy, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        for slug, count in pruned.per_article.items():
            self.stdout.write(f"{verb} {count} revision(s) of {slug}")
        for cover in pruned.covers:
            self.stdout.write(f"{verb} cover file {cover}")
        summary = f"{verb} {pruned.revisions} revision(s) of {len(pruned.per_article)} article(s)"
        self.stdout.write(self.style.SUCCESS(f"{summary} and {len(pruned.covers)} cover file(s)."))
