"""The periodic jobs: one schedule (family_portal/periodic.py), the systemd timers of
deploy/ that must agree with it, and `manage.py run_periodic_jobs` that runs them (the
demo's loop, production's timers)."""

import configparser
import datetime
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from family_portal import periodic
from family_portal.periodic import JOBS, Job, Schedule, due
from tests.factories import ContentPageFactory

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
PARIS = datetime.timezone(datetime.timedelta(hours=1))


def at(month, day, hour, minute):
    return datetime.datetime(2027, month, day, hour, minute, tzinfo=PARIS)


def due_names(moment):
    return [job.name for job in due(moment)]


def test_the_schedule():
    assert due_names(at(3, 10, 14, 22)) == ["publish_scheduled"]
    assert due_names(at(3, 10, 14, 5)) == ["publish_scheduled", "retry_quotients"]
    assert due_names(at(3, 10, 3, 30)) == ["publish_scheduled", "purge_personal_data"]
    assert "refresh_quotients" in due_names(at(2, 15, 2, 0))
    assert "refresh_quotients" not in due_names(at(3, 15, 2, 0))
    assert periodic.job("refresh_quotients").argv(datetime.date(2027, 2, 15)) == [
        "refresh_quotients",
        "--month",
        "2027-01",
    ]


def read_unit(path):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_the_systemd_timers_follow_the_schedule():
    timers = {
        path.stem.removeprefix("portail-job-"): path for path in SYSTEMD.glob("*.timer")
    }

    assert sorted(timers) == sorted(job.name for job in JOBS)
    for job in JOBS:
        timer = read_unit(timers[job.name])["Timer"]
        assert timer["OnCalendar"] == job.schedule.on_calendar(settings.TIME_ZONE)
        assert timer["Unit"] == f"portail-job@{job.name}.service"
    service = read_unit(SYSTEMD / "portail-job@.service")["Service"]
    assert service["ExecStart"].endswith("manage.py run_periodic_jobs --once %i")
    assert service["Type"] == "oneshot"


ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(ANALYZE is None, reason="no systemd-analyze")
def test_systemd_understands_every_schedule():
    for job in JOBS:
        command = [ANALYZE, "calendar", job.schedule.on_calendar(settings.TIME_ZONE)]
        result = subprocess.run(  # noqa: S603 - systemd's own tool
            command,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr


def test_the_readme_names_the_deploy_folder():
    readme = (SYSTEMD.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "deploy/systemd" in readme
    assert "run_periodic_jobs" in readme


@pytest.fixture
def scheduled_page(home_page):
    """A page an editor scheduled for publication a minute ago."""
    page = ContentPageFactory(parent=home_page, title="Fête de l'école", live=False)
    revision = page.save_revision()
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(minutes=1)
    revision.save()
    return page


def test_once_runs_a_job_now(scheduled_page):
    call_command("run_periodic_jobs", once="publish_scheduled", stdout=io.StringIO())

    scheduled_page.refresh_from_db()
    assert scheduled_page.live


def test_the_loop_publishes_scheduled_pages(scheduled_page, monkeypatch):
    monkeypatch.setattr(periodic, "JOBS", (periodic.job("publish_scheduled"),))
    out = io.StringIO()

    call_command("run_periodic_jobs", for_seconds=0.2, stdout=out)

    scheduled_page.refresh_from_db()
    assert scheduled_page.live
    assert "publish_scheduled" in out.getvalue()


def test_a_failing_job_is_reported_and_the_loop_goes_on(db, monkeypatch):
    broken = Job("broken", "bareme", Schedule(), "a command called wrongly")
    monkeypatch.setattr(periodic, "JOBS", (broken, periodic.job("publish_scheduled")))
    err, out = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="broken failed"):
        call_command("run_periodic_jobs", once="broken", stdout=out, stderr=err)
    call_command("run_periodic_jobs", for_seconds=0.2, stdout=out, stderr=err)

    assert "broken failed" in err.getvalue()
    assert out.getvalue().count("publish_scheduled") >= 2


def test_an_unknown_job_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No periodic job named 'nope'"):
        call_command("run_periodic_jobs", once="nope")
