"""Who may open what: every family-space, certificate and back-office URL, requested as
an anonymous visitor, as another family's parent, as an editor and as an agent.

The URLs are read from the URL resolver (the family space, the certificates, the
back-office views and every wagtail-modeladmin screen of the family service, the
barèmes and the family service's settings), so a URL added later is requested too:
if its arguments cannot be filled in from the scene below, `test_every_url_is_covered`
fails and names it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from wagtail.models import Site

from family_portal import child_photos
from family_portal import enrolment as enrolments
from family_portal.attendance.groups import ensure_groups as ensure_attendance_groups
from family_portal.attendance.models import (
    AttendanceSite,
    Mark,
    MonthClosing,
    SessionClosure,
    Tap,
)
from family_portal.billing.models import (
    Adjustment,
    BillingRun,
    Invoice,
    Regie,
    RunFamily,
    ServiceRules,
)
from family_portal.bookings import services as bookings
from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    CalendarChange,
    CalendarFeed,
    ServiceSchedule,
    ServiceSession,
)
from family_portal.certificates import services as certificates
from family_portal.directdebit import mandates as direct_debit
from family_portal.directdebit.models import DebitBatch, DebitLine, Mandate
from family_portal.models import (
    AgentAction,
    Certificate,
    CertificateBatch,
    Child,
    Enrolment,
    FamilyServiceSettings,
    Guardian,
    QfCampaign,
    QfDocument,
    QuotientRecord,
)
from family_portal.payments.models import Allocation, Method, Payment
from family_portal.payments.services import record_payment
from family_portal.taxcerts.models import TaxCertificate, TaxCertificateJob
from family_portal.wizard import EnrolmentWizard
from home.models import CommuneSettings
from qf_connector.models import ApiCallLog
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import PDF
from tests.family_portal.factories import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db

# The owner's data: none of these may reach anyone but the owner and the agents.
OWNER_MARKERS = [
    "Quiroga",
    "Aurélie",
    "Mathurin",
    "Philibertine",
    "Glycines",
    "avis-quiroga.pdf",
]

# Which URLs belong to the family service.
NAMESPACES = {"family_portal", "certificates", "family_backoffice"}
MODELADMIN_NAME = re.compile(r"^(family_portal|qf_connector)_(\w+?)_modeladmin_(\w+)$")
OTHER_NAMESPACES = {
    "wagtailsnippets_activities_bareme",
    "wagtailsnippets_billing_servicerules",
    "wagtailsnippets_billing_regie",
}
# Public URLs, open to anyone who has their secret: the matrix asks them with a secret
# that is not the family's (a guess), which must find nothing. The owner's own feed is
# tested in tests/bookings.
BY_SECRET = {"certificates:verify", "family_portal:bookings:feed"}
SETTINGS_MODELS = {("family_portal", "familyservicesettings")}
# Signing in and out (FranceConnect's pages, and allauth's logout going on to
# FranceConnect's): open to anyone like allauth's own sign-in pages, holding no family
# data, and signing the visitor out; tested in tests/franceconnect.
SIGN_IN_AND_OUT = {
    "account_logout",
    "franceconnect_login",
    "franceconnect_callback",
    "franceconnect_link",
    "franceconnect_logged_out",
}
# Public pages of the family portal's apps, for everyone: they show no family's data (the
# site search shows pages, news and the places left of each activity).
PUBLIC = {"discovery:search"}


@dataclass(frozen=True)
class Target:
    name: str  # "namespace:name"
    path: str
    admin: bool  # under the Wagtail admin (its own sign-in page)
    owner_object: bool  # names one of the owner's objects

    @property
    def staff(self) -> bool:
        """For the town hall's staff: the admin, and the agents' certificate pages."""
        return self.admin or (
            self.name.startswith("certificates:") and self.name not in BY_SECRET
        )


def walk(patterns, namespace=None, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or None
            if namespace and inner:
                inner = f"{namespace}:{inner}"
            yield from walk(
                pattern.url_patterns, inner or namespace, prefix + str(pattern.pattern)
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern), pattern


def family_service_patterns():
    """(name, route, parameter names) of every URL of the family service."""
    found = {}
    for name, route, pattern in walk(get_resolver().url_patterns):
        namespace = name.rpartition(":")[0]
        module = getattr(pattern.callback, "__module__", "") or ""
        if name in SIGN_IN_AND_OUT or name in PUBLIC:
            continue
        if (
            namespace in NAMESPACES
            or namespace in OTHER_NAMESPACES
            or MODELADMIN_NAME.match(name)
            or module.startswith(("family_portal", "qf_connector"))
            or name == "wagtailsettings:edit"
        ):
            params = tuple(pattern.pattern.regex.groupindex)
            found.setdefault((name, params), route)
    return found


# -- the scene ------------------------------------------------------------------------------


def photo_upload():
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    output = BytesIO()
    Image.new("RGB", (64, 64), "teal").save(output, "JPEG")
    return SimpleUploadedFile("mathurin.jpg", output.getvalue())


@pytest.fixture
def scene(canteen, groups):
    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    owner = UserFactory(username="quiroga", email="aurelie@quiroga.example.org")
    family = FamilyFactory(
        name="Famille Quiroga", street="7 impasse des Glycines", users=[owner]
    )
    guardian = GuardianFactory(
        family=family, birth_name="Quiroga", first_name="Aurélie"
    )
    child = ChildFactory(
        family=family,
        first_name="Mathurin",
        last_name="Quiroga",
        diet="sans_gluten",
        health_notes="PAI de Mathurin Quiroga",
    )
    sister = ChildFactory(family=family, first_name="Philibertine", last_name="Quiroga")
    today = timezone.localdate()
    record = QuotientRecord.objects.create(
        family=family,
        value=Decimal("1200"),
        provider="CNAF",
        source=QuotientRecord.Source.API,
        month=today.replace(day=1),
        valid_from=today,
        valid_until=QuotientRecord.school_year_end(today),
    )
    period = canteen.periods.get()
    [enrolment] = enrolments.confirm(
        family,
        commune,
        period,
        [child],
        enrolments.QfChoice(Enrolment.QfSource.RECORD, record),
    )
    certificate = certificates.current_certificate(enrolment)
    schedule = ServiceSchedule.objects.create(period=period, weekdays=[0, 1, 3, 4])
    lunch = ServiceSession.objects.create(
        schedule=schedule,
        name="Déjeuner",
        starts=datetime.time(11, 45),
        ends=datetime.time(13, 30),
    )
    bookings.book(
        enrolment, lunch, bookings.service_days(schedule), user=None, by_agent=True
    )
    absence = AbsenceReport.objects.create(
        child=child,
        first_day=today,
        last_day=today,
        status="pending",
        certificate=ContentFile(PDF, name="certificat.pdf"),
    )
    CalendarFeed.objects.create(family=family)
    period.capacity = 1
    period.save()
    [waiting] = enrolments.confirm(
        family, commune, period, [sister], enrolments.QfChoice(Enrolment.QfSource.NONE)
    )
    assert waiting.status == Enrolment.Status.WAITING
    document = QfDocument.objects.create(
        family=family,
        kind=QfDocument.Kind.TAX_NOTICE,
        file=ContentFile(PDF, name="avis-quiroga.pdf"),
        original_name="avis-quiroga.pdf",
        content_type="application/pdf",
        uploaded_by=owner,
    )
    action = AgentAction.objects.create(
        kind=AgentAction.Kind.QF_RECORDED, family=family, reason="Quiroga au guichet"
    )
    log = ApiCallLog.objects.create(
        family_id=family.pk,
        endpoint="/v3/dss/quotient_familial/identite",
        started_at=timezone.now(),
        duration_ms=12,
        http_status=200,
    )
    batch = CertificateBatch.objects.create(
        activity=canteen,
        period=period,
        status=CertificateBatch.Status.DONE,
        total=1,
        done=1,
        file=ContentFile(PDF, name="lot.pdf"),
    )
    campaign = QfCampaign.objects.create(month=datetime.date(2026, 1, 1))
    FamilyServiceSettings.for_site(commune.site)
    regie = Regie.objects.create(name="Régie enfance", code="ENF")
    rules = ServiceRules.objects.create(
        activity=canteen,
        regie=regie,
        slug="regles-cantine",
        label="Restauration scolaire",
        deliberation_reference="2025-041",
        deliberation_date=datetime.date(2025, 6, 30),
    )
    rules.record_version()
    run = BillingRun.objects.create(
        regie=regie,
        month=today.replace(day=1),
        dry_run=False,
        status=BillingRun.Status.DONE,
        issue_date=today,
        due_date=today,
    )
    invoice = Invoice.objects.create(
        regie=regie,
        family=family,
        month=run.month,
        number="ENF-2026-000001",
        issue_date=today,
        due_date=today,
        total=Decimal("10.00"),
        run=run,
    )
    RunFamily.objects.create(
        run=run, family=family, outcome="invoiced", total=invoice.total, invoice=invoice
    )
    mandate = direct_debit.sign(
        family,
        user=owner,
        holder_name="Aurélie Quiroga",
        street="7 impasse des Glycines",
        postcode="24750",
        city="Champcevinel",
        iban="FR7630006000011234567890189",
    )
    debit_batch = DebitBatch.objects.create(
        message_id="MSG-QUIROGA",
        creditor_id="FR72ZZZ123456",
        total=invoice.total,
        count=1,
        content="<Document>Quiroga</Document>",
    )
    debit_line = DebitLine.objects.create(
        batch=debit_batch,
        invoice=invoice,
        mandate=mandate,
        amount=invoice.total,
        sequence="FRST",
        collection_date=today,
        end_to_end_id="ENF-2026-000001-QUIROGA",
    )
    payment = record_payment(
        family, "4.00", Method.CASH, received_on=today, recorded_by=None
    )
    tax_certificate = TaxCertificate.objects.create(
        family=family,
        year=today.year - 1,
        number=f"AF-{today.year - 1}-000001",
        total=Decimal("10.00"),
        content={},
        pdf=ContentFile(PDF, name="attestation-fiscale.pdf"),
    )
    tax_job = TaxCertificateJob.objects.create(
        kind="print",
        year=today.year - 1,
        status="done",
        file=ContentFile(PDF, name="attestations-fiscales.pdf"),
    )
    ensure_attendance_groups()  # the agents' attendance permissions, the animateurs
    attendance_site = AttendanceSite.objects.create(name="École des Glycines")
    attendance_site.schedules.add(schedule)
    animateur = UserFactory(username="animatrice")
    animateur.groups.add(ensure_attendance_groups())
    attendance_site.animateurs.add(animateur)

    other_parent = UserFactory(username="roux", email="roux@example.org")
    other = FamilyFactory(name="Famille Roux", users=[other_parent])
    GuardianFactory(family=other, birth_name="Roux", first_name="Paul")
    ChildFactory(family=other, first_name="Jules", last_name="Roux")
    child_photos.set_photo(child, child_photos.resized_photo(photo_upload()))
    yield {
        "owner": owner,
        "other_parent": other_parent,
        "family": family,
        "guardian": guardian,
        "child": child,
        "record": record,
        "enrolment": enrolment,
        "waiting": waiting,
        "certificate": certificate,
        "document": document,
        "action": action,
        "log": log,
        "batch": batch,
        "campaign": campaign,
        "period": period,
        "activity": canteen,
        "bareme": canteen.bareme_links.get().bareme,
        "site": commune.site,
        "absence": absence,
        "schedule": schedule,
        "regie": regie,
        "rules": rules,
        "run": run,
        "invoice": invoice,
        "mandate": mandate,
        "debit_batch": debit_batch,
        "debit_line": debit_line,
        "payment": payment,
        "tax_certificate": tax_certificate,
        "tax_job": tax_job,
        "attendance_site": attendance_site,
        "animateur": animateur,
        "session": lunch,
        "today": today,
    }
    child.refresh_from_db()
    child_photos.remove_photo(child)


MODELADMIN_OBJECTS = {
    "family": "family",
    "guardian": "guardian",
    "child": "child",
    "enrolment": "enrolment",
    "qfdocument": "document",
    "quotientrecord": "record",
    "agentaction": "action",
    "apicalllog": "log",
}
# Back-office and certificate URLs with a `pk` (or alike): which object of the scene.
OBJECT_OF = {
    "family_backoffice:document_check": "document",
    "family_backoffice:document_file": "document",
    "family_backoffice:family_refresh": "family",
    "family_backoffice:quotient_add": "family",
    "family_backoffice:counter_enrol": "family",
    "family_backoffice:period_detail": "period",
    "family_backoffice:period_reprice": "period",
    "family_backoffice:period_capacity": "period",
    "family_backoffice:campaign_detail": "campaign",
    "family_backoffice:campaign_status": "campaign",
    "family_backoffice:campaign_resume": "campaign",
    "family_backoffice:enrolment_reprice": "enrolment",
    "family_backoffice:enrolment_override": "enrolment",
    "family_backoffice:enrolment_cancel": "enrolment",
    "family_backoffice:enrolment_promote": "waiting",
    "bookings_backoffice:schedule_calendar": "schedule",
    "bookings_backoffice:family_bookings": "family",
    "bookings_backoffice:counter_month": "enrolment",
    "bookings_backoffice:certificate_check": "absence",
    "bookings_backoffice:certificate_file": "absence",
    "family_portal:guardian_edit": "guardian",
    "family_portal:child_edit": "child",
    "family_portal:child_photo": "child",
    "family_portal:child_photo_edit": "child",
    "family_backoffice:child_photo": "child",
    "attendance:photo": "enrolment",
    "family_portal:bookings:calendar": "enrolment",
    "family_portal:bookings:result": "enrolment",
    "attendance_admin:correct": "enrolment",
    "certificates:agent_certificate": "enrolment",
    "certificates:batch_detail": "batch",
    "certificates:batch_status": "batch",
    "certificates:batch_file": "batch",
    "wagtailsnippets_activities_bareme:edit": "bareme",
    "wagtailsnippets_activities_bareme:delete": "bareme",
    "wagtailsnippets_activities_bareme:usage": "bareme",
    "wagtailsnippets_activities_bareme:history": "bareme",
    "wagtailsnippets_activities_bareme:history_results": "bareme",
    "wagtailsnippets_activities_bareme:export": "bareme",
    "family_portal:billing:detail": "invoice",
    "family_portal:billing:pdf": "invoice",
    "family_portal:payments:pay_online": "invoice",
    "family_portal:payments:receipt": "payment",
    "payments_admin:family": "family",
    "payments_admin:use_credit": "family",
    "payments_admin:payment": "payment",
    "payments_admin:receipt": "payment",
    "billing_admin:run_detail": "run",
    "billing_admin:run_progress": "run",
    "billing_admin:run_issue": "run",
    "billing_admin:run_resume": "run",
    "billing_admin:run_export": "run",
    "billing_admin:run_family": "run",
    "billing_admin:invoice_detail": "invoice",
    "billing_admin:invoice_pdf": "invoice",
    "billing_admin:rules_export": "rules",
    "family_portal:directdebit:revoke": "mandate",
    "directdebit_admin:batch_detail": "debit_batch",
    "directdebit_admin:batch_file": "debit_batch",
    "directdebit_admin:line_return": "debit_line",
    "billing_admin:run_rerun": "run",
    "family_portal:taxcerts:pdf": "tax_certificate",
    "taxcerts_admin:job": "tax_job",
    "taxcerts_admin:job_progress": "tax_job",
    "taxcerts_admin:job_file": "tax_job",
    **{
        f"wagtailsnippets_billing_{model}:{view}": key
        for model, key in (("servicerules", "rules"), ("regie", "regie"))
        for view in ("edit", "delete", "usage", "history", "history_results")
    },
}


def fill(name, params, scene):
    """The URLs of (name, params) for this scene (several for the wizard's steps), or
    None when the arguments are unknown."""
    model_admin = MODELADMIN_NAME.match(name)
    kwargs = {}
    for param in params:
        if param == "instance_pk" and model_admin:
            key = MODELADMIN_OBJECTS.get(model_admin.group(2))
            if key is None:
                return None
            kwargs[param] = scene[key].pk
        elif param == "family_pk" and name == "billing_admin:run_family":
            kwargs[param] = scene["family"].pk
        elif (
            param in {"pk", "family_pk", "enrolment_id", "enrolment_pk"}
            and name in OBJECT_OF
        ):
            kwargs[param] = scene[OBJECT_OF[name]].pk
        elif param == "activity_id":
            kwargs[param] = scene["activity"].pk
        elif param == "site_id":
            kwargs[param] = scene["attendance_site"].pk
        elif param == "session_id":
            kwargs[param] = scene["session"].pk
        elif param == "schedule_id":
            kwargs[param] = scene["schedule"].pk
        elif param == "day":
            kwargs[param] = scene["today"]
        elif param == "month":
            kwargs[param] = scene["today"].strftime("%Y-%m")
        elif param == "reference":
            kwargs[param] = scene["enrolment"].reference
        elif param == "token" and name == "family_portal:bookings:feed":
            kwargs[param] = "jeton-devine-" + "x" * 30
        elif param in {"number", "token"}:
            kwargs[param] = getattr(scene["certificate"], param)
        elif param == "step":
            kwargs[param] = None  # below: one URL per step
        elif name == "wagtailsettings:edit" and param in {"app_name", "model_name"}:
            kwargs["app_name"], kwargs["model_name"] = next(iter(SETTINGS_MODELS))
        elif name == "wagtailsettings:edit" and param == "pk":
            kwargs[param] = scene["site"].pk
        else:
            return None
    if name == "wagtailsettings:edit" and "pk" not in kwargs:
        return []  # the site-less form of the URL redirects to the site's
    if "step" in kwargs:
        steps = [step for step, _ in EnrolmentWizard.form_list] + ["termine"]
        return [reverse(name, kwargs={**kwargs, "step": step}) for step in steps]
    url = reverse(name, kwargs=kwargs)
    if name == "family_portal:enrolment_result":
        url += f"?i={scene['enrolment'].reference}&i={scene['waiting'].reference}"
    return [url]


def targets(scene):
    found, unknown = [], []
    for (name, params), route in sorted(family_service_patterns().items()):
        urls = fill(name, params, scene)
        if urls is None:
            unknown.append(f"{name} ({route})")
            continue
        owner_object = bool(
            set(params) - {"activity_id", "step"}
        ) and not name.startswith(("wagtailsnippets_", "wagtailsettings:"))
        for url in urls:
            found.append(
                Target(name, url, url.startswith("/admin/"), owner_object=owner_object)
            )
    return found, unknown


def leaks(response) -> list[str]:
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    return [marker for marker in OWNER_MARKERS if marker in text]


def owner_state():
    """What a refused request must leave as it was."""
    return {
        "enrolments": sorted(
            Enrolment.objects.values_list("pk", "status", "amount", "price_overridden")
        ),
        "documents": sorted(QfDocument.objects.values_list("pk", "status")),
        "quotients": QuotientRecord.objects.count(),
        "payments": sorted(Payment.objects.values_list("pk", "reversed_at")),
        "allocations": Allocation.objects.count(),
        "certificates": sorted(Certificate.objects.values_list("pk", "status")),
        "actions": AgentAction.objects.count(),
        "guardians": sorted(
            Guardian.objects.values_list("pk", "family_id", "birth_name", "first_name")
        ),
        "children": sorted(
            Child.objects.values_list(
                "pk",
                "family_id",
                "first_name",
                "school",
                "diet",
                "health_notes",
                "photo",
            )
        ),
        "batches": CertificateBatch.objects.count(),
        "bookings": sorted(Booking.objects.values_list("pk", "status")),
        "absences": sorted(AbsenceReport.objects.values_list("pk", "status")),
        "calendar": CalendarChange.objects.count(),
        "invoices": sorted(Invoice.objects.values_list("pk", "kind", "total")),
        "corrections": Adjustment.objects.count(),
        "runs": BillingRun.objects.count(),
        "mandates": sorted(Mandate.objects.values_list("pk", "status")),
        "debits": sorted(DebitLine.objects.values_list("pk", "status")),
        "debit_batches": DebitBatch.objects.count(),
        "tax_certificates": TaxCertificate.objects.count(),
        "tax_jobs": TaxCertificateJob.objects.count(),
        "feed": list(
            CalendarFeed.objects.filter(family__name="Famille Quiroga").values_list(
                "token", flat=True
            )
        ),
        "attendance": [
            model.objects.count() for model in (Mark, Tap, SessionClosure, MonthClosing)
        ],
    }


# The check-in pages (/pointage/) are for animateurs: anyone else signs in there or is
# refused; the web app's manifest, service worker, offline and sign-in pages are public.
CHECK_IN_PUBLIC = {
    "attendance:manifest",
    "attendance:service_worker",
    "attendance:offline",
    "attendance:login",
}
POST_ONLY = {
    "directdebit_admin:batch_export",
    "attendance:taps",
    "attendance:logout",
    "attendance_admin:close",
}


def is_check_in(target) -> bool:
    return target.name.startswith("attendance:")


def check_in_refuses(client, target, response, before):
    """A parent or an editor: the public pages, else 403 (405 for a GET of a
    POST-only URL), and nothing changes on a POST."""
    if target.name in CHECK_IN_PUBLIC:
        assert response.status_code == 200, target
    elif target.name in POST_ONLY:
        assert response.status_code == 405, target
    else:
        assert response.status_code == 403, target
    if target.name == "attendance:logout":
        return  # signing out is anybody's right (and would end this client's session)
    response = client.post(target.path, POST_DATA)
    assert not leaks(response), target
    if target.name not in CHECK_IN_PUBLIC:
        assert response.status_code == 403, target
    assert owner_state() == before, target


# Sent with every POST of a refused user: enough for most forms to be valid.
POST_DATA = {
    "reason": "matrice",
    "action": "reject",
    "amount": "1",
    "method": "value",
    "value": "100",
    "provider": "CNAF",
    "month": timezone.localdate().strftime("%m/%Y"),
    "first_name": "Intrus",
    "last_name": "Intrus",
    "birth_name": "Intrus",
    "name": "Famille Intruse",
    "confirm": "1",
    "accept": "on",
}


# Refused: sent away (to the admin's home or sign-in page), forbidden, or not found.
REFUSED = (302, 403, 404)


# -- the tests --------------------------------------------------------------------------------


def test_every_url_is_covered(scene):
    found, unknown = targets(scene)
    assert not unknown, (
        "URLs of the family service this matrix cannot fill in (add their object to "
        "OBJECT_OF or MODELADMIN_OBJECTS): " + ", ".join(unknown)
    )
    names = {target.name for target in found}
    # The discovery finds what exists today (a guard against an empty matrix).
    for expected in [
        "family_portal:dashboard",
        "family_portal:enrol_step",
        "family_portal:certificate",
        "family_portal:bookings:calendar",
        "family_portal:bookings:absence",
        "family_portal:bookings:feed",
        "certificates:verify",
        "certificates:batch_file",
        "family_backoffice:document_check",
        "family_backoffice:counter_enrol",
        "family_portal:billing:detail",
        "billing_admin:invoice_detail",
        "family_portal_family_modeladmin_inspect",
        "family_portal_enrolment_modeladmin_index",
        "qf_connector_apicalllog_modeladmin_index",
        "wagtailsettings:edit",
    ]:
        assert expected in names, expected
    steps = [t.path for t in found if t.name == "family_portal:enrol_step"]
    assert len(steps) == len(EnrolmentWizard.form_list) + 1


def test_anonymous_visitors_are_sent_to_sign_in(client, scene):
    found, _ = targets(scene)
    for target in found:
        response = client.get(target.path)
        assert not leaks(response), target
        if target.name == "certificates:verify":
            assert response.status_code == 200  # public, and says nothing of the family
            continue
        if target.name == "family_portal:payments:notification":
            assert response.status_code == 405  # PayFiP's POST only, no session
            continue
        if target.name in BY_SECRET:
            assert response.status_code == 404, target  # a guessed secret
            continue
        if is_check_in(target):
            if target.name in CHECK_IN_PUBLIC:
                assert response.status_code == 200, target
            elif target.name in POST_ONLY:
                assert response.status_code == 405, target
            elif target.name == "attendance:state":
                assert response.status_code == 401, target  # JSON, for the page
            else:
                assert response["Location"].startswith("/pointage/connexion/"), target
            continue
        assert response.status_code == 302, target
        login = "/admin/login/" if target.staff else "/compte/login/"
        assert response["Location"].startswith(login), (target, response["Location"])


def test_another_parent_gets_nothing_of_the_family(client, scene):
    client.force_login(scene["other_parent"])
    before = owner_state()
    found, _ = targets(scene)
    for target in found:
        response = client.get(target.path)
        assert not leaks(response), (target, leaks(response))
        if is_check_in(target):
            check_in_refuses(client, target, response, before)
            continue
        if target.staff:
            assert response.status_code in REFUSED, target
            if response.status_code == 302:
                assert "/admin/login/" in response["Location"], target
        elif target.name == "family_portal:bookings:feed":
            assert response.status_code == 404, target
        elif target.name == "family_portal:payments:notification":
            assert response.status_code == 405, target  # PayFiP's POST only
        elif target.name == "family_portal:payments:return":
            assert response.status_code == 404, target  # no operation of theirs
        elif target.owner_object and target.name != "certificates:verify":
            assert response.status_code in (403, 404), target
        else:
            assert response.status_code in (200, 302), target
        response = client.post(target.path, POST_DATA)
        assert not leaks(response), (target, leaks(response))
        assert owner_state() == before, target


# Editors set up the services' calendars: the month grid shows counts, no family.
EDITOR_SCREENS = {"bookings_backoffice:schedule_calendar"}


def test_an_editor_sees_no_family_data(client, editor, scene):
    client.force_login(editor)
    before = owner_state()
    found, _ = targets(scene)
    for target in found:
        response = client.get(target.path)
        assert not leaks(response), (target, leaks(response))
        if target.name in EDITOR_SCREENS:
            assert response.status_code == 200, target
            response = client.post(target.path, POST_DATA)
            assert response.status_code in REFUSED, target
            assert owner_state() == before, target
            continue
        if target.name in BY_SECRET:
            assert response.status_code in (200, 404), target
            continue
        if target.name == "family_portal:payments:notification":
            continue  # PayFiP's, without a session: covered by tests/payments
        if is_check_in(target):
            check_in_refuses(client, target, response, before)
            continue
        if target.name.startswith("family_portal:"):
            # A staff account: the family space is for parents, and says so.
            assert response.status_code == 403, target
            assert "Espace réservé aux familles" in response.content.decode(), target
            response = client.post(target.path, POST_DATA)
            assert response.status_code == 403, target
            assert owner_state() == before, target
            continue
        assert response.status_code in REFUSED, target
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/"), target
        response = client.post(target.path, POST_DATA)
        assert not leaks(response), (target, leaks(response))
        assert owner_state() == before, target


def test_an_editor_has_no_family_menu_panel_or_search(client, editor, agent, scene):
    client.force_login(editor)
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Portail Famille" not in home.content.decode()
    assert "/admin/family_portal/" not in home.content.decode()
    for query in ("Quiroga", "Mathurin", "Glycines"):
        response = client.get(reverse("wagtailadmin_pages:search"), {"q": query})
        assert response.status_code == 200
        body = response.content.decode().replace(query, "")
        assert not [marker for marker in OWNER_MARKERS if marker in body], query
        assert "/admin/family_portal/" not in body

    # For comparison: the agent has the menu; a superuser (who may search pages too)
    # gets the families' search area.
    client.force_login(agent)
    home = client.get("/admin/").content.decode()
    assert "Portail Famille" in home
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    response = client.get(reverse("wagtailadmin_pages:search"), {"q": "Quiroga"})
    assert "/admin/family_portal/family/" in response.content.decode()


def agent_may(target, agent, scene):
    """Whether the agent is meant to open this URL: the family service's own views,
    and the modeladmin screens its permission helper allows."""
    if target.name in AGENT_NOT_MEANT:
        return False
    model_admin = MODELADMIN_NAME.match(target.name)
    if not model_admin:
        return True
    from wagtail_modeladmin.options import ModelAdmin

    app, model, view = model_admin.groups()
    admin_class = next(
        instance
        for instance in _registered_model_admins()
        if instance.model._meta.app_label == app
        and instance.model._meta.model_name == model
    )
    helper = admin_class.permission_helper
    obj_key = MODELADMIN_OBJECTS[model]
    obj = scene[obj_key]
    assert isinstance(admin_class, ModelAdmin)
    return {
        "index": lambda: helper.user_can_list(agent),
        "create": lambda: helper.user_can_create(agent),
        "edit": lambda: helper.user_can_edit_obj(agent, obj),
        "delete": lambda: helper.user_can_delete_obj(agent, obj),
        "inspect": lambda: helper.user_can_inspect_obj(agent, obj),
        "history": lambda: helper.user_can_list(agent),
    }[view]()


def _registered_model_admins():
    from family_portal.wagtail_hooks import FamilyPortalGroup, GuardianAdmin

    group = FamilyPortalGroup()
    return [*group.modeladmin_instances, GuardianAdmin()]


# Not for agents: barèmes are corrected by a new version, never deleted.
AGENT_NOT_MEANT = {
    "wagtailsnippets_activities_bareme:delete",
    # Forms' targets, POST only (a GET is refused, 405).
    "billing_admin:run_issue",
    "billing_admin:run_resume",
    "billing_admin:run_rerun",
    "family_backoffice:campaign_resume",
    # POST only, and for the régisseurs (payments.record_counter_payment) alone.
    "payments_admin:use_credit",
    # Agents see the régies and edit the rules; they delete neither, nor edit a régie.
    "wagtailsnippets_billing_servicerules:delete",
    *(
        f"wagtailsnippets_billing_regie:{view}"
        for view in ("add", "edit", "delete", "history", "history_results", "usage")
    ),
}

# Screens an agent must be able to open, whatever the permission helpers say.
AGENT_SCREENS = {
    "family_portal_family_modeladmin_index",
    "family_portal_family_modeladmin_inspect",
    "family_portal_enrolment_modeladmin_index",
    "family_portal_enrolment_modeladmin_inspect",
    "family_portal_qfdocument_modeladmin_index",
    "family_backoffice:document_check",
    "family_backoffice:document_file",
    "family_backoffice:qf_pending",
    "certificates:agent_certificate",
    "certificates:batch_new",
    "bookings_backoffice:schedule_calendar",
    "bookings_backoffice:headcounts",
    "bookings_backoffice:family_bookings",
    "bookings_backoffice:counter_month",
    "bookings_backoffice:certificate_queue",
    "bookings_backoffice:certificate_check",
    "bookings_backoffice:certificate_file",
    "attendance_admin:services",
    "attendance_admin:month",
    "attendance_admin:export",
    "attendance_admin:correct",
}


def test_an_agent_opens_the_back_office(client, agent, scene):
    client.force_login(agent)
    found, _ = targets(scene)
    opened = set()
    for target in found:
        if not target.staff:
            continue  # the family space is for parents
        response = client.get(target.path)
        if target.name in POST_ONLY:
            assert response.status_code == 405, target
            continue
        if agent_may(target, agent, scene):
            assert response.status_code == 200, (target, response.status_code)
            opened.add(target.name)
        else:
            assert response.status_code in (*REFUSED, 405), target
    assert AGENT_SCREENS <= opened, AGENT_SCREENS - opened


@pytest.mark.usefixtures("api_particulier")
@pytest.mark.parametrize(
    "next_url", ["https://evil.example.org/", "//evil.example.org/x", "/admin/"]
)
def test_the_refresh_form_sends_back_only_within_the_site(
    client, agent, scene, next_url
):
    client.force_login(agent)
    response = client.post(
        reverse("family_backoffice:family_refresh", args=[scene["family"].pk]),
        {"next": next_url},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert "evil" not in location
    if next_url == "/admin/":
        assert location == "/admin/"
