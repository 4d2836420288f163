from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand
from django.urls import reverse

from articles.demo.seed import DemoLogin, SeedResult, seed_demo
from articles.demo.totals import SiteTotals, site_totals
from blogsite.emails import absolute_url


class Command(BaseCommand):
    help = (
        "Create a living demo site: authors, categories, published/draft/scheduled/archived articles, "
        "comments in every state and follows. Running it again adds nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--send-emails",
            action="store_true",
            help="Send the welcome, comment and follower emails that seeding causes (discarded by default).",
        )

    def handle(self, *args, send_emails: bool, **options) -> None:
        result = seed_demo(send_emails=send_emails)
        self.write_created(result)
        self.write_totals(site_totals())
        self.write_logins(result.logins)

    def write_created(self, result: SeedResult) -> None:
        if not result.created_anything:
            self.stdout.write(self.style.SUCCESS("The demo site is already there: nothing to add."))
            return
        created = ", ".join(f"{count} {kind}" for kind, count in result.created.items() if count)
        self.stdout.write(self.style.SUCCESS(f"Demo site seeded: created {created}."))

    def write_totals(self, totals: SiteTotals) -> None:
        self.stdout.write("The site now has:")
        self.stdout.write(f"  {totals.authors} authors, {totals.categories} categories, {totals.follows} follows")
        self.stdout.write(f"  {sum(totals.articles.values())} articles: {by_status(totals.articles)}")
        self.stdout.write(f"  {sum(totals.comments.values())} comments: {by_status(totals.comments)}")

    def write_logins(self, logins: list[DemoLogin]) -> None:
        self.stdout.write(f"Sign in at {absolute_url(reverse('login'))} as:")
        width = max(len(login.username) for login in logins)
        for login in logins:
            password = login.password or f"(password unchanged; `manage.py changepassword {login.username}` resets it)"
            staff = f"  staff: {absolute_url(reverse('admin:index'))}" if login.is_staff else ""
            self.stdout.write(f"  {login.username:<{width}}  {password}{staff}")


def by_status(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in counts.items())
