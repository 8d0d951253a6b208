"""The enrolment wizard, step by step, with the fake API Particulier over real HTTP."""

import datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from family_portal import enrolment
from family_portal.models import Enrolment, QfDocument, QuotientRecord
from home import communes
from qf_connector.models import ApiCallLog
from qf_connector.services import reset_client
from tests.dates import born, qf_month, qf_validity

pytestmark = pytest.mark.django_db


class Wizard:
    """Drive the wizard as a browser would: GET each step, POST its form."""

    def __init__(self, client, activity):
        self.client = client
        self.activity = activity
        self.prefix = f"inscription_{activity.pk}"

    def url(self, step=None):
        if step is None:
            return reverse("family_portal:enrol", args=[self.activity.pk])
        return reverse("family_portal:enrol_step", args=[self.activity.pk, step])

    def start(self):
        response = self.client.get(self.url())
        assert response.status_code == 302
        return self.client.get(response["Location"])

    def post(self, step, data, follow=False, **extra):
        payload = {f"{self.prefix}-current_step": step}
        payload.update({f"{step}-{key}": value for key, value in data.items()})
        payload.update(extra)
        return self.client.post(self.url(step), payload, follow=follow)


def identity_data(family):
    guardian = family.guardians.get()
    return {
        "guardian": guardian.pk,
        "birth_name": guardian.birth_name,
        "first_names": " ".join(guardian.first_names),
        "sex": guardian.sex,
        "birth_date": guardian.birth_date.isoformat(),
        # As the browser shows it: the commune's name, not its INSEE code.
        "birth_commune_code": communes.unique_label(
            communes.by_code(guardian.birth_commune_code)
        ),
        "birth_country_code": "",
        "consent": "on",
    }


def choose_children(wizard, family, period):
    return wizard.post(
        "enfants",
        {
            "children": [child.pk for child in family.children.all()],
            "period": period.pk,
        },
        follow=True,
    )


def test_two_children_priced_from_the_api(
    client, canteen, giraud_family, api_particulier
):
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    period = canteen.periods.get()

    page = wizard.start()
    assert "Étape 1 sur" in page.content.decode()
    page = choose_children(wizard, giraud_family, period)
    assert "Quotient familial" in page.content.decode()
    page = wizard.post("quotient", {"source": "api"}, follow=True)
    html = page.content.decode()
    assert "API Particulier" in html and "Accord" in html
    # The identity step is pre-filled with the allocataire's civil status.
    assert 'value="Giraud"' in html

    page = wizard.post("caf-msa", identity_data(giraud_family), follow=True)
    html = page.content.decode()
    assert "3,40 € par repas" in html or "3.40 € par repas" in html
    assert "Tranche 3" in html
    record = QuotientRecord.objects.get(family=giraud_family)
    assert record.value == Decimal("1200") and record.provider == "CNAF"
    assert record.source == QuotientRecord.Source.API
    log = ApiCallLog.objects.get()
    assert log.http_status == 200 and log.family_id == giraud_family.pk

    page = wizard.post("tarif", {}, follow=True)
    assert "Confirmer l'inscription" in page.content.decode()
    response = wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(
        reverse("family_portal:enrolment_result")
    )
    result = response.content.decode()
    assert "Léa" in result and "Tom" in result and "Inscription confirmée" in result

    enrolments = list(Enrolment.objects.order_by("child_rank"))
    assert [e.child.first_name for e in enrolments] == ["Léa", "Tom"]
    assert [e.child_rank for e in enrolments] == [1, 2]
    for item in enrolments:
        assert item.status == Enrolment.Status.CONFIRMED
        assert item.amount == Decimal("3.40")
        assert item.unit == "repas"
        assert item.qf_value == Decimal("1200")
        assert item.qf_provider == "CNAF"
        assert item.qf_source == Enrolment.QfSource.API
        assert item.deliberation_reference == "délibération tarifs restauration 2022"
        assert item.bareme_version.locked
        assert item.explanation
    assert len(mail.outbox) == 1
    assert "Restauration scolaire" in mail.outbox[0].subject
    # Only one API call for the whole journey: re-validating the step does not call.
    assert ApiCallLog.objects.count() == 1


def test_unknown_identity_switches_to_a_document(
    client, canteen, giraud_family, api_particulier
):
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    period = canteen.periods.get()
    wizard.start()
    choose_children(wizard, giraud_family, period)
    wizard.post("quotient", {"source": "api"})
    data = identity_data(giraud_family) | {"birth_name": "Inconnudutout"}
    page = wizard.post("caf-msa", data)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Aucun dossier CAF ou MSA" in html
    # What the parent typed is still there.
    assert 'value="Inconnudutout"' in html

    page = wizard.post("caf-msa", data | {"fallback": "document"}, follow=True)
    assert "Justificatif" in page.content.decode()
    lying = SimpleUploadedFile("attestation.pdf", b"MZ\x90\x00 not a pdf at all")
    page = wizard.post("justificatif", {"kind": "caf", "file": lying})
    assert "ni un PDF, ni une image" in page.content.decode()
    pdf = SimpleUploadedFile("attestation.pdf", b"%PDF-1.4\n% attestation\n")
    page = wizard.post("justificatif", {"kind": "caf", "file": pdf}, follow=True)
    html = page.content.decode()
    assert "provisoire" in html
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)

    document = QfDocument.objects.get(family=giraud_family)
    assert Enrolment.objects.count() == 2
    assert document.status == QfDocument.Status.PENDING
    assert document.content_type == "application/pdf"
    for item in Enrolment.objects.all():
        assert item.status == Enrolment.Status.QF_PENDING
        assert item.qf_source == Enrolment.QfSource.DOCUMENT
        assert item.amount == Decimal("3.50")  # the default price until checked
        assert item.qf_value is None


def document_path(client, activity, family):
    """A signed-in parent on the document step, children and period chosen."""
    client.force_login(family.users.get())
    wizard = Wizard(client, activity)
    wizard.start()
    choose_children(wizard, family, activity.periods.get())
    wizard.post("quotient", {"source": "document"}, follow=True)
    return wizard


def send(wizard, name, kind="caf"):
    upload = SimpleUploadedFile(name, b"%PDF-1.4\n% " + name.encode() + b"\n")
    return wizard.post("justificatif", {"kind": kind, "file": upload}, follow=True)


def test_sending_the_document_again_replaces_it(
    client, canteen, giraud_family, api_particulier
):
    from tests.security.test_uploads import stored_wizard_files

    before = set(stored_wizard_files())
    wizard = document_path(client, canteen, giraud_family)
    send(wizard, "flou.pdf")
    (first_path,) = set(stored_wizard_files()) - before
    # The parent goes back and sends a better file.
    client.get(wizard.url("justificatif"))
    send(wizard, "net.pdf", kind="tax")
    assert not first_path.exists()
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)
    document = QfDocument.objects.get(family=giraud_family)  # one, not two
    assert (document.original_name, document.kind) == ("net.pdf", "tax")
    assert Enrolment.objects.filter(qf_source=Enrolment.QfSource.DOCUMENT).count() == 2
    # The wizard's own copy went with the confirmation.
    assert set(stored_wizard_files()) == before


def test_a_wizard_left_before_its_confirmation_leaves_no_document(
    client, canteen, giraud_family, api_particulier
):
    """Agents only see documents of confirmed enrolments: the file of a wizard left
    on the price step stays in the wizard's storage, which the purge empties."""
    wizard = document_path(client, canteen, giraud_family)
    page = send(wizard, "attestation.pdf")
    assert "Tarif" in page.content.decode()
    assert not QfDocument.objects.exists()


def test_a_document_sent_then_dropped_for_the_api_is_not_kept(
    client, canteen, giraud_family, api_particulier
):
    from tests.security.test_uploads import stored_wizard_files

    before = set(stored_wizard_files())
    wizard = document_path(client, canteen, giraud_family)
    send(wizard, "attestation.pdf")
    wizard.post("quotient", {"source": "api"})
    wizard.post("caf-msa", identity_data(giraud_family), follow=True)
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert Enrolment.objects.filter(qf_source=Enrolment.QfSource.API).count() == 2
    assert not QfDocument.objects.exists()
    assert set(stored_wizard_files()) == before


def assert_one_clean_fallback_screen(html):
    """The outage screen says what went wrong once, then offers each other path as a
    button of its own: no error summary repeating it, no punctuation left dangling."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main")
    message = soup.select_one("#lookup-error").get_text(" ", strip=True)
    assert "momentanément indisponible" in message
    assert main.get_text(" ", strip=True).count(message) == 1
    assert not soup.select(".notice--error ul")  # no error summary
    choices = soup.select(".fallback__choices > li")
    assert [li.button.get_text(strip=True) for li in choices] == [
        "Envoyer plutôt un justificatif",
        "M'inscrire maintenant au tarif provisoire",
        "Continuer sans quotient familial (tarif par défaut)",
    ]
    for li in choices:
        # Nothing of the item sits outside its button but the button's own help.
        loose = [
            text.strip()
            for text in li.find_all(string=True, recursive=False)
            if text.strip()
        ]
        assert loose == []


def test_api_down_saves_a_provisional_enrolment(
    client, canteen, giraud_family, api_particulier
):
    api_particulier.add_fault("status", status=504, code="37001")
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    data = identity_data(giraud_family)
    page = wizard.post("caf-msa", data)
    html = page.content.decode()
    assert "momentanément indisponible" in html
    assert "tarif provisoire" in html
    assert_one_clean_fallback_screen(html)
    api_particulier.clear_faults()
    page = wizard.post("caf-msa", data | {"fallback": "provisional"}, follow=True)
    assert "provisoire" in page.content.decode()
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)
    statuses = set(Enrolment.objects.values_list("status", "qf_source"))
    assert statuses == {(Enrolment.Status.QF_PENDING, Enrolment.QfSource.UNAVAILABLE)}


def test_back_button_keeps_what_was_chosen(
    client, canteen, giraud_family, api_particulier
):
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "none"})
    # The browser goes back to the first step: its choices are still checked.
    html = client.get(wizard.url("enfants")).content.decode()
    for child in giraud_family.children.all():
        assert f'value="{child.pk}" id="id_enfants-children_' in html
    assert html.count("checked") >= 3
    # "Étape précédente" from step 2 keeps step 2's choice too.
    wizard.post("quotient", {"source": "document"}, wizard_goto_step="enfants")
    html = client.get(wizard.url("quotient")).content.decode()
    assert 'value="document" id="id_quotient-source_2" checked' in html or (
        'value="document"' in html and "checked" in html
    )


def test_full_period_puts_children_on_the_waiting_list(
    canteen, giraud_family, settings
):
    period = canteen.periods.get()
    period.capacity = 1
    period.save()
    from wagtail.models import Site

    from home.models import CommuneSettings

    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    children = list(giraud_family.children.all())
    choice = enrolment.QfChoice(Enrolment.QfSource.NONE)
    first = enrolment.confirm(giraud_family, commune, period, children, choice)
    assert [e.status for e in first] == [
        Enrolment.Status.CONFIRMED,
        Enrolment.Status.WAITING,
    ]
    assert first[1].waiting_position == 1
    # A double submit creates nothing more.
    again = enrolment.confirm(giraud_family, commune, period, children, choice)
    assert [e.pk for e in again] == [e.pk for e in first]
    assert Enrolment.objects.count() == 2


def test_closed_window_and_ages_are_refused(
    client, canteen, giraud_family, api_particulier
):
    period = canteen.periods.get()
    client.force_login(giraud_family.users.get())
    baby = giraud_family.children.create(
        first_name="Bébé", last_name="Giraud", birth_date=born(1, 1, age=1)
    )
    wizard = Wizard(client, canteen)
    wizard.start()
    page = wizard.post("enfants", {"children": [baby.pk], "period": period.pk})
    assert "ouverte à partir de 3 ans" in page.content.decode()
    period.enrolment_closes = datetime.date(2020, 1, 1)
    period.enrolment_opens = datetime.date(2019, 1, 1)
    period.save()
    html = client.get(wizard.url("enfants")).content.decode()
    assert "ne sont pas ouvertes" in html


def test_enrolments_stay_closed_while_no_barème_covers_the_period(
    client, canteen, giraud_family
):
    """A barème past its dates (the délibération of an earlier year) prices nothing."""
    from wagtail.models import Site

    from activities.pricing import PricingError
    from home.models import CommuneSettings

    period = canteen.periods.get()
    bareme = canteen.bareme_links.get().bareme
    bareme.valid_until = period.end - datetime.timedelta(days=1)
    bareme.save()
    bareme.record_version()
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    html = client.get(wizard.url("enfants")).content.decode()
    assert "ne sont pas ouvertes" in html
    assert "aucun tarif n'est encore voté pour ces dates" in html
    assert 'name="enfants-period"' not in html
    page = wizard.post(
        "enfants",
        {"children": [giraud_family.children.first().pk], "period": period.pk},
    )
    assert "Sélectionnez un choix valide" in page.content.decode()
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    with pytest.raises(PricingError, match="Aucun barème voté ne couvre la période"):
        enrolment.confirm(
            giraud_family,
            commune,
            period,
            list(giraud_family.children.all()),
            enrolment.QfChoice(Enrolment.QfSource.NONE),
        )
    assert not Enrolment.objects.exists()
    activity_html = client.get(canteen.url).content.decode()
    assert "S'inscrire en ligne" not in activity_html
    assert "Fermées" in activity_html


def test_provisional_enrolments_are_settled_when_the_qf_arrives(canteen, giraud_family):
    from wagtail.models import Site

    from family_portal.models import EnrolmentPriceChange
    from home.models import CommuneSettings

    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    period = canteen.periods.get()
    children = list(giraud_family.children.all())
    pending = enrolment.confirm(
        giraud_family,
        commune,
        period,
        children,
        enrolment.QfChoice(Enrolment.QfSource.UNAVAILABLE),
    )
    assert {e.amount for e in pending} == {Decimal("3.50")}
    valid_from, valid_until = qf_validity()
    record = QuotientRecord.objects.create(
        family=giraud_family,
        value=Decimal("600"),
        provider="CNAF",
        source=QuotientRecord.Source.API,
        month=qf_month(),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    changes = enrolment.reprice_family_pending(giraud_family, commune, record)
    assert len(changes) == 2
    for item in Enrolment.objects.all():
        assert item.status == Enrolment.Status.CONFIRMED
        assert item.amount == Decimal("1.00")
        assert item.qf_value == Decimal("600")
    change = EnrolmentPriceChange.objects.first()
    assert change.before["amount"] == "3.50" and change.after["amount"] == "1.00"
    assert change.before["status"] == "qf_pending"
    # Nothing left to settle: a second run changes nothing.
    assert enrolment.reprice_family_pending(giraud_family, commune, record) == []


def test_retry_settles_enrolments_once_the_api_is_back(
    client, canteen, giraud_family, api_particulier
):
    from django.core.management import call_command

    api_particulier.add_fault("status", status=503)
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    data = identity_data(giraud_family)
    wizard.post("caf-msa", data)
    wizard.post("caf-msa", data | {"fallback": "provisional"})
    wizard.post("tarif", {})
    wizard.post("confirmation", {"accept": "on"}, follow=True)
    assert Enrolment.objects.filter(status=Enrolment.Status.QF_PENDING).count() == 2

    call_command("retry_quotients")  # still down: nothing changes
    assert Enrolment.objects.filter(status=Enrolment.Status.QF_PENDING).count() == 2
    api_particulier.clear_faults()
    # The failures opened the client's circuit breaker; a later cron run has a new one.
    reset_client()
    mail.outbox.clear()
    call_command("retry_quotients")
    assert set(Enrolment.objects.values_list("status", "amount")) == {
        (Enrolment.Status.CONFIRMED, Decimal("3.40"))
    }
    assert len(mail.outbox) == 1 and "définitif" in mail.outbox[0].subject


def test_a_period_with_enrolments_cannot_be_removed(
    admin_client, canteen, giraud_family
):
    from wagtail.models import Site
    from wagtail.test.utils.form_data import (
        inline_formset,
        nested_form_data,
        streamfield,
    )

    from home.models import CommuneSettings

    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    period = canteen.periods.get()
    enrolment.confirm(
        giraud_family,
        commune,
        period,
        list(giraud_family.children.all()),
        enrolment.QfChoice(Enrolment.QfSource.NONE),
    )
    link = canteen.bareme_links.get()
    data = nested_form_data(
        {
            "title": canteen.title,
            "slug": canteen.slug,
            "category": canteen.category,
            "introduction": canteen.introduction,
            "description": streamfield([]),
            "documents": streamfield([]),
            "age_min": 3,
            "age_max": 11,
            "periods": inline_formset(
                [
                    {
                        "id": period.pk,
                        "label": period.label,
                        "start": period.start,
                        "end": period.end,
                        "capacity": period.capacity,
                        "enrolment_opens": period.enrolment_opens,
                        "enrolment_closes": period.enrolment_closes,
                        "DELETE": "on",
                    }
                ],
                initial=1,
            ),
            "bareme_links": inline_formset(
                [{"id": link.pk, "bareme": link.bareme_id, "title": ""}], initial=1
            ),
            "action-publish": "publish",
        }
    )
    response = admin_client.post(
        reverse("wagtailadmin_pages:edit", args=[canteen.pk]), data
    )
    assert response.status_code == 200
    assert "a des inscriptions" in response.content.decode()
    assert canteen.periods.filter(pk=period.pk).exists()


def test_the_confirmation_links_to_the_rules_it_asks_to_accept(
    client, canteen, giraud_family, home_page
):
    from wagtail.models import Site

    from home.models import CommuneSettings

    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    commune.rules_page = home_page
    commune.save()
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "none"})
    wizard.post("tarif", {})
    soup = BeautifulSoup(client.get(wizard.url("confirmation")).content, "html.parser")
    checkbox = soup.find("input", attrs={"name": "confirmation-accept"})
    link = soup.select_one(".form-field .help a")
    assert link is not None and link["href"] == home_page.url
    assert "règlement" in link.get_text()
    assert (
        "règlement des activités"
        in soup.find("label", attrs={"for": checkbox["id"]}).get_text()
    )


def test_a_step_no_longer_in_the_wizard_takes_the_parent_to_the_right_step(
    client, canteen, giraud_family, api_particulier
):
    """Two tabs: the first shows the CAF/MSA step, the second changes the QF source
    to a document; the first tab's identity is then posted."""
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    wizard.post("quotient", {"source": "document"})  # the second tab
    data = identity_data(giraud_family) | {"birth_name": "Giraud-Tapé"}
    response = wizard.post("caf-msa", data)
    assert response.status_code == 302
    assert response["Location"] == wizard.url("justificatif")
    page = client.get(response["Location"])
    assert "plus à jour" in page.content.decode()
    assert not ApiCallLog.objects.exists()  # nothing looked up for a dropped step
    # What was typed is kept: back to the API, the identity step shows it.
    wizard.post("quotient", {"source": "api"})
    assert 'value="Giraud-Tapé"' in client.get(wizard.url("caf-msa")).content.decode()


@pytest.mark.parametrize(
    "extra",
    [
        {"wizard_inscription_current_step": "nimporte"},
        {"wizard_goto_step": "nimporte"},
        {"wizard_goto_step": "caf-msa"},
    ],
    ids=["unknown-step", "unknown-previous-step", "inactive-previous-step"],
)
def test_a_wrong_step_name_is_no_error(client, canteen, giraud_family, extra):
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    payload = {f"{wizard.prefix}-current_step": "quotient", "quotient-source": "none"}
    if "wizard_inscription_current_step" in extra:
        payload[f"{wizard.prefix}-current_step"] = extra[
            "wizard_inscription_current_step"
        ]
    else:
        payload.update(extra)
    response = client.post(wizard.url("quotient"), payload)
    # The choice posted with a known step is kept: the parent goes on to the price.
    expected = wizard.url("quotient" if "wizard_goto_step" not in extra else "tarif")
    assert response.status_code == 302
    assert response["Location"] == expected
    # An old address of a step no longer in the wizard: the same.
    response = client.get(wizard.url("justificatif"))
    assert response.status_code == 302
    assert response["Location"] == expected
