"""Email built from a text and an HTML template, with links that work outside the site, sent once per key."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


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


def send_once(message: EmailMessage, *, key: str, connection: BaseEmailBackend | None = None) -> bool:
    """Send a one-recipient ``message`` unless it went out under ``key`` already; whether it was sent now.

    The delivery row is inserted, the message handed to the mail server, and
    the row committed, in that order. A retry after a failed send finds no row
    (it was rolled back) and sends; a retry after a commit finds it and skips.
    Two workers sending the same key at once: the second INSERT waits on the
    first one's uncommitted row, then finds it. A COMMIT lost with the
    database connection after the server accepted the message is written
    again on a new connection (``record_after_lost_commit``). What is left is
    a process killed between the server's acceptance and our COMMIT: it sends
    that one message again on retry.
    """
    from .models import EmailDelivery

    (recipient,) = message.to
    # The same Message-ID for every attempt: should the window above ever
    # open, mail servers and clients that discard repeated ids hide the copy.
    message.extra_headers.setdefault("Message-ID", message_id(key, recipient))
    accepted = False
    try:
        with transaction.atomic():
            _, created = EmailDelivery.objects.get_or_create(key=key, recipient=recipient)
            if not created:
                return False
            if connection is not None:
                message.connection = connection
            message.send()
            accepted = True
    except DatabaseError:
        # Inside an outer atomic block the broken connection cannot be replaced.
        if not accepted or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            raise
        record_after_lost_commit(key, recipient)
    return True


def record_after_lost_commit(key: str, recipient: str, *, attempts: int = 5) -> None:
    """The server has the message but our COMMIT went with the connection: record it anew, or raise.

    A retry of the job would otherwise send it again. Called outside any
    atomic block, where the broken connection can be thrown away.
    """
    from .models import EmailDelivery

    for attempt in range(attempts):
        connections[DEFAULT_DB_ALIAS].close()
        try:
            EmailDelivery.objects.get_or_create(key=key, recipient=recipient)  # the COMMIT may have landed after all
        except DatabaseError:
            if attempt + 1 == attempts:
                raise
            time.sleep(0.2 * 2**attempt)
        else:
            logger.warning("Recorded email %s to %s again after its commit was lost.", key, recipient)
            return


def message_id(key: str, recipient: str) -> str:
    """A Message-ID made of the idempotency key: one per (key, recipient), whatever the attempt."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    domain = urlsplit(settings.SITE_URL).hostname or "blogsite.local"
    return f"<{re.sub(r'[^A-Za-z0-9.-]', '.', key)}.{digest}@{domain}>"


def already_sent(key: str, recipients: list[str]) -> set[str]:
    """The recipients who have the email of ``key``, in one query (no mail connection for a batch all sent)."""
    from .models import EmailDelivery

    return set(EmailDelivery.objects.filter(key=key, recipient__in=recipients).values_list("recipient", flat=True))
