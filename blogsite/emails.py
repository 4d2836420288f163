"""Email built from a text and an HTML template, with links that work outside the site."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def build_email(template: str, context: dict, *, to: str) -> EmailMultiAlternatives:
    """``template``_subject.txt, ``template``.txt and ``template``.html, addressed to one person.

    One recipient per message: a mail to many followers must not show any of
    them the others' addresses.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(subject, render_to_string(f"{template}.txt", context), to=[to])
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
