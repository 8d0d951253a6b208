"""Parents' accounts (django-allauth): how an account is named to its owner, and the
e-mails allauth sends, signed by the commune (its name from CommuneSettings, the address
actually served) in French, HTML with a plain-text part (templates/account/email/)."""

from __future__ import annotations

from allauth.core import context as allauth_context
from portail_site.security import AccountAdapter
from wagtail.models import Site

from .models import CommuneSettings


def is_staff_account(user) -> bool:
    """An account of the commune's staff (editors, agents): it works in the admin and
    never holds a family of its own."""
    return user.is_staff or user.has_perm("wagtailadmin.access_admin")


def user_display(user) -> str:
    """A parent's account as the portal names it: the name if known, else the e-mail
    address, never the user name allauth made up from it."""
    return user.get_full_name() or user.email or user.get_username()


def _site_and_url(request):
    site = Site.find_for_request(request) if request is not None else None
    site = site or Site.objects.filter(is_default_site=True).first()
    if request is not None:
        url = request.build_absolute_uri("/")
    else:
        url = (site.root_url.rstrip("/") + "/") if site is not None else ""
    return site, url


class PortalAccountAdapter(AccountAdapter):
    def _commune_context(self):
        request = allauth_context.request
        site, url = _site_and_url(request)
        commune = CommuneSettings.for_site(site) if site is not None else None
        name = (commune.name if commune is not None else "") or "la commune"
        return {"commune": commune, "commune_name": name, "site_url": url}

    def format_email_subject(self, subject: str) -> str:
        return f"[{self._commune_context()['commune_name']}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(
            template_prefix, email, {**context, **self._commune_context()}
        )
