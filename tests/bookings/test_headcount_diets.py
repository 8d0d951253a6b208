"""The kitchen's headcount counts the meals to cook per diet and per school (the
child's diet from the family file), on the screen and in the CSV and XLSX exports."""

import csv
import io

import pytest
from openpyxl import load_workbook

from family_portal.bookings import headcounts, services

from .test_backoffice import (  # noqa: F401 - fixtures, by name
    agent_client,
    busy_day,
    headcount_url,
    lea,
    text,
    tom,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def diets(busy_day, lea, tom):  # noqa: F811
    """Léa (sans porc, reported absent) and Tom (PAI), both at the Tilleuls."""
    tom.child.school = "École des Tilleuls"
    tom.child.diet = "pai"
    tom.child.save()
    lea.child.diet = "sans_porc"
    lea.child.save()
    return busy_day


def test_meals_are_counted_per_diet_and_school(diets):
    result = headcounts.headcounts(diets, diets)
    (line,) = result.lines
    assert line.site == "École des Tilleuls"
    assert (line.booked, line.absent, line.expected) == (2, 1, 1)
    # Léa is reported absent: no meal without pork to cook; Tom's PAI meal is.
    assert dict(line.diets) == {"pai": 1}
    assert line.diets_text == "PAI alimentaire (allergie) : 1"
    assert result.has_diets


def test_a_child_without_diet_counts_in_no_diet(busy_day, lea, tom):  # noqa: F811
    lea.child.diet = "vegetarien"
    lea.child.save()
    services.cancel(lea, lea.bookings.get().session, [busy_day], user=None)
    result = headcounts.headcounts(busy_day, busy_day)
    assert not result.has_diets  # Léa's booking is cancelled, Tom has no diet


def test_the_screen_and_exports_show_the_diets(agent_client, diets):  # noqa: F811
    body = text(agent_client.get(headcount_url(diets)))
    assert "Régimes (repas attendus)" in body
    assert "PAI alimentaire (allergie) : 1" in body
    content = agent_client.get(headcount_url(diets, "csv")).content.decode()
    rows = list(csv.reader(io.StringIO(content[1:]), delimiter=";"))
    assert rows[0][-1] == "Régimes (repas attendus)"
    assert rows[1][-1] == "PAI alimentaire (allergie) : 1"
    sheet = load_workbook(
        io.BytesIO(agent_client.get(headcount_url(diets, "xlsx")).content)
    ).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "Régimes (repas attendus)"
    assert values[1][-1] == "PAI alimentaire (allergie) : 1"
