"""E-mails to a family from the back-office (templates in templates/backoffice/email/)."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string


def family_recipients(family) -> list[str]:
    """The addresses of the family's accounts, else of its guardians."""
    accounts = {user.email for user in family.users.all() if user.email}
    if accounts:
        return sorted(accounts)
    return sorted({guardian.email for guardian in family.guardians.all()} - {""})


def family_message(
    family, subject: str, template: str, context: dict, *, connection=None
) -> EmailMessage | None:
    """One e-mail to the family, not sent yet; None when it has no address.
    `connection` (a mail backend) lets a batch go through one connection."""
    recipients = family_recipients(family)
    if not recipients:
        return None
    return EmailMessage(
        subject=subject,
        body=render_to_string(template, {"family": family, **context}),
        to=recipients,
        connection=connection,
    )


def send_family_mail(family, subject: str, template: str, context: dict) -> bool:
    """Send one e-mail to the family; False when it has no address."""
    message = family_message(family, subject, template, context)
    if message is None:
        return False
    message.send()
    return True
