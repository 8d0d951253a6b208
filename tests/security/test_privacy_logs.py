"""The API Particulier token and the identity a QF is asked with (birth name, first
names, birth date and place, the query string) reach no log record, no call log row
and no exception message: through the enrolment wizard and `manage.py qf lookup`, for
a found QF, an unknown person and an API that is down. Every logger listens at DEBUG.
"""

from __future__ import annotations

import io
import logging
import re
import traceback

import pytest
from django.core.management import call_command

from family_portal.models import QuotientRecord
from qf_connector.errors import QuotientError
from qf_connector.fakeapi.testing import DEFAULT_TOKEN
from qf_connector.identity import Identity
from qf_connector.models import ApiCallLog
from qf_connector.services import lookup_by_identity
from tests.family_portal.test_wizard import Wizard, choose_children, identity_data

pytestmark = pytest.mark.django_db

UNKNOWN_NAME = "Zorglubienne"
# What would betray the person or the portal's credentials.
SECRETS = [
    DEFAULT_TOKEN,
    "GIRAUD",
    "Giraud",
    "giraud",
    UNKNOWN_NAME,
    UNKNOWN_NAME.upper(),
    "ANNE",
    "Anne ",
    "1988-12-01",
    "01/12/1988",
    "19881201",
    "13002",
    # API Particulier's parameters, as a query string would carry them.
    "nomNaissance=",
    "prenoms",
    "anneeDateNaissance",
    "jourDateNaissance",
    "codeCogInseeCommuneNaissance=",
    "sexeEtatCivil=",
    "recipient=",
]


@pytest.fixture
def every_log(caplog):
    """Every logger at DEBUG, and heard even when it does not propagate."""
    manager = logging.root.manager
    changed = []
    for name in [None, *list(manager.loggerDict)]:
        logger = logging.getLogger(name)
        if isinstance(logger, logging.PlaceHolder):
            continue
        changed.append((logger, logger.level, logger.disabled))
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if name and not logger.propagate:
            logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    for logger, level, disabled in changed:
        logger.setLevel(level)
        logger.disabled = disabled
        if caplog.handler in logger.handlers:
            logger.removeHandler(caplog.handler)


def everything_logged(caplog) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    parts = []
    for record in caplog.records:
        parts.append(formatter.format(record))  # message, args and traceback
        parts.append(repr(record.args))
        parts.append(repr(getattr(record, "request", "")))
        parts += [repr(value) for key, value in vars(record).items() if key == "extra"]
    return "\n".join(parts)


def call_log_rows() -> str:
    return "\n".join(repr(row) for row in ApiCallLog.objects.values())


def found(secret: str, text: str) -> bool:
    """A secret made of digits counts only as a whole number: "13002" inside a random
    id, a port or a float logged by a library is not the birth commune."""
    if secret.isdigit():
        return re.search(rf"(?<![0-9]){secret}(?![0-9])", text) is not None
    return secret in text


def assert_nothing_leaked(text: str, where: str):
    leaked = [secret for secret in SECRETS if found(secret, text)]
    assert not leaked, f"{leaked} in {where}"


def test_wizard_lookups_leak_nothing(
    client, canteen, giraud_family, api_particulier, every_log
):
    client.force_login(giraud_family.users.get())
    wizard = Wizard(client, canteen)
    wizard.start()
    choose_children(wizard, giraud_family, canteen.periods.get())
    wizard.post("quotient", {"source": "api"})
    data = identity_data(giraud_family)

    # Unknown to CAF and MSA, then CAF down, then found.
    page = wizard.post("caf-msa", data | {"birth_name": UNKNOWN_NAME})
    assert "Aucun dossier CAF ou MSA" in page.content.decode()
    api_particulier.add_fault("status", status=503)
    page = wizard.post("caf-msa", data)
    assert "momentanément indisponible" in page.content.decode()
    api_particulier.clear_faults()
    page = wizard.post("caf-msa", data, follow=True)
    assert "Tarif" in page.content.decode()
    assert QuotientRecord.objects.filter(family=giraud_family).exists()

    assert ApiCallLog.objects.count() >= 3
    assert every_log.records, "the lookups should have logged something"
    assert_nothing_leaked(everything_logged(every_log), "the logs")
    assert_nothing_leaked(call_log_rows(), "the call log")


def qf_lookup(*arguments) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("qf", "lookup", *arguments, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue()
    return 0, err.getvalue()


def test_the_qf_command_leaks_nothing_to_the_logs(
    api_particulier, every_log, home_page
):
    identity = [
        "--prenom",
        "ANNE",
        "--sexe",
        "F",
        "--naissance",
        "1988-12-01",
        "--commune-naissance",
        "13002",
    ]
    code, errors = qf_lookup("--nom-naissance", "GIRAUD", *identity)
    assert code == 0
    code, errors = qf_lookup("--nom-naissance", UNKNOWN_NAME, *identity)
    assert code == 3
    assert_nothing_leaked(errors, "the command's error output")
    api_particulier.add_fault("status", status=503)
    code, errors = qf_lookup("--nom-naissance", "GIRAUD", *identity)
    assert code == 4
    assert_nothing_leaked(errors, "the command's error output")

    assert ApiCallLog.objects.count() >= 3
    assert every_log.records
    assert_nothing_leaked(everything_logged(every_log), "the logs")
    assert_nothing_leaked(call_log_rows(), "the call log")


@pytest.mark.parametrize(
    "fault",
    [None, {"kind": "status", "status": 503}, {"kind": "drop"}],
    ids=["not-found", "down", "connection-dropped"],
)
def test_lookup_errors_say_nothing_of_the_person(api_particulier, every_log, fault):
    if fault:
        api_particulier.add_fault(**fault)
    identity = Identity.create(
        birth_name=UNKNOWN_NAME if fault is None else "GIRAUD",
        first_names=["ANNE"],
        sex="F",
        birth_date="1988-12-01",
        birth_commune="13002",
    )
    with pytest.raises(QuotientError) as caught:
        lookup_by_identity(identity, origin="test")
    error = caught.value
    said = "\n".join(
        [
            str(error),
            repr(error),
            repr(error.args),
            str(error.as_dict()),
            "".join(traceback.format_exception(error)),
            repr(error.__cause__),
            repr(error.__context__),
        ]
    )
    assert_nothing_leaked(said, "the exception")
    assert_nothing_leaked(everything_logged(every_log), "the logs")
    assert_nothing_leaked(call_log_rows(), "the call log")
