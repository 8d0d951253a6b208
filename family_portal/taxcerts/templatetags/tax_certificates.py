"""``{% family_tax_certificates family %}``: the family's tax certificates in force, for
"Mes factures"."""

from django import template

from family_portal.taxcerts.models import TaxCertificate

register = template.Library()


@register.inclusion_tag("taxcerts/family_list.html")
def family_tax_certificates(family):
    certificates = (
        TaxCertificate.objects.filter(
            family=family, status=TaxCertificate.Status.CURRENT
        ).order_by("-year")
        if family is not None
        else []
    )
    return {"certificates": certificates}
