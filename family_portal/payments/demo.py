"""The demo régie takes online payments through our fake PayFiP (`make demo`)."""

from family_portal.billing.models import Regie

# A test client number: the fake PayFiP accepts any six digits; never a real régie's.
DEMO_PAYFIP_CLIENT_NUMBER = "000000"


def load_payments_demo() -> int:
    """Opens online payment on the demo's régies that have no client number yet."""
    return Regie.objects.filter(payfip_client_number="").update(
        payfip_client_number=DEMO_PAYFIP_CLIENT_NUMBER
    )
