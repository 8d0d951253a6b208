"""The demo's payments (`make demo`): online payment opened on the demo's régies
(through our fake PayFiP), the demo agent made a régisseur who may record payments, the
demo parent's invoice partly paid at the counter (cash, with its receipt: the rest is
paid online), and a family's transfer in advance kept as its credit."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from family_portal.billing.models import Regie
from family_portal.demo import DEMO_PARENT
from family_portal.models import Family
from home.demo import DEMO_ACCOUNTS

from .models import Method, Payment
from .services import record_payment

# A test client number: the fake PayFiP accepts any six digits; never a real régie's.
DEMO_PAYFIP_CLIENT_NUMBER = "000000"
REGISSEURS_GROUP = "Régisseurs (encaissements)"
PARTIAL = Decimal("10.00")
ADVANCE = Decimal("30.00")


def ensure_regisseurs_group() -> Group:
    """The group whose members may record and cancel counter payments."""
    group, _ = Group.objects.get_or_create(name=REGISSEURS_GROUP)
    group.permissions.add(
        Permission.objects.get(
            content_type__app_label="payments", codename="record_counter_payment"
        ),
        Permission.objects.get(
            content_type__app_label="payments", codename="view_payment"
        ),
    )
    return group


@transaction.atomic
def load_payments_demo() -> int:
    """Opens online payment on the demo's régies that have no client number yet (returns
    how many), and records the demo's counter payments once."""
    opened = Regie.objects.filter(payfip_client_number="").update(
        payfip_client_number=DEMO_PAYFIP_CLIENT_NUMBER
    )
    group = ensure_regisseurs_group()
    agent = next(a for a in DEMO_ACCOUNTS if a.username == "agent")
    user = get_user_model().objects.filter(username=agent.username).first()
    if user is None:
        return opened
    user.groups.add(group)
    today = timezone.localdate()
    giraud = Family.objects.filter(users__username=DEMO_PARENT.username).first()
    invoice = (
        giraud.invoices.filter(kind="invoice").order_by("-month").first()
        if giraud
        else None
    )
    if invoice and not Payment.objects.filter(family=giraud).exists():
        if invoice.outstanding() > PARTIAL:
            record_payment(
                giraud,
                PARTIAL,
                Method.CASH,
                received_on=today,
                recorded_by=user,
                invoices=[invoice],
                note="Démo : acompte en espèces, le reste se paie en ligne.",
            )
    regie = Regie.objects.filter(code="ENF").first()
    other = (
        Family.objects.exclude(pk=getattr(giraud, "pk", None))
        .filter(name="Famille Martin")
        .first()
    )
    if regie and other and not Payment.objects.filter(family=other).exists():
        record_payment(
            other,
            ADVANCE,
            Method.TRANSFER,
            received_on=today,
            recorded_by=user,
            invoices=[],
            regie=regie,
            reference="VIR-DEMO-0001",
            note="Démo : virement d'avance, gardé en avoir pour la prochaine facture.",
        )
    return opened
