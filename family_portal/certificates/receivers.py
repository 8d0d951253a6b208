"""The certificates follow the enrolments' tariffs (connected in FamilyPortalConfig.ready)."""

from django.dispatch import receiver

from family_portal.signals import tariff_changed


@receiver(tariff_changed, dispatch_uid="certificates-follow-the-tariff")
def prepare_certificates(sender, enrolments, user=None, **kwargs):
    """Issue, replace or revoke the enrolments' certificates in the background once the
    transaction commits."""
    # Imported when needed: the tasks load WeasyPrint, which commands like migrate skip.
    from . import tasks

    tasks.prepare_on_commit(enrolments, user=user)
