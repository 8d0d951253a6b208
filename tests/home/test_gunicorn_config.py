"""site/gunicorn.conf.py as gunicorn reads it: threaded workers, more threads than the
API Particulier lookups a process lets web requests wait for."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings
from gunicorn.config import Config
from gunicorn.workers.gthread import ThreadWorker

CONFIG = Path(__file__).resolve().parents[2] / "site" / "gunicorn.conf.py"


def gunicorn_config() -> Config:
    """The file applied to gunicorn's own Config, as ``gunicorn -c`` does."""
    config = Config()
    for name, value in runpy.run_path(str(CONFIG)).items():
        if name in config.settings:
            config.set(name, value)
    return config


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("GUNICORN_THREADS", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_workers_run_threads(clean_environment):
    config = gunicorn_config()
    assert config.worker_class is ThreadWorker
    assert config.workers == 2
    assert config.threads == 8


def test_a_hanging_api_never_holds_every_thread(clean_environment):
    # The defaults: lookups in flight take at most half of a worker's threads.
    assert settings.QF_LOOKUPS_IN_FLIGHT * 2 <= gunicorn_config().threads


def test_threads_can_be_set_from_the_environment(clean_environment):
    clean_environment.setenv("GUNICORN_THREADS", "12")
    assert gunicorn_config().threads == 12
