"""E-mails to a family from the back-office (templates in templates/backoffice/email/)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.template.loader import render_to_string


def family_recipients(family) -> list[str]:
    """The addresses of the family's accounts, else of its guardians."""
    accounts = {user.email for user in family.users.all() if user.email}
    if accounts:
        return sorted(accounts)
    return sorted({guardian.email for guardian in family.guardians.all()} - {""})


def send_family_mail(family, subject: str, template: str, context: dict) -> bool:
    """Send one e-mail to the family; False when it has no address."""
    recipients = family_recipients(family)
    if not recipients:
        return False
    send_mail(
        subject=subject,
        message=render_to_string(template, {"family": family, **context}),
        from_email=None,
        recipient_list=recipients,
    )
    return True
