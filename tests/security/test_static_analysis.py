"""`ruff check` with the bandit rules (flake8-bandit, "S") is clean across the repository,
and those rules stay on: switched off only for what tests and benchmarks do on purpose."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def ruff_settings():
    with (REPOSITORY / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["tool"]["ruff"]["lint"]


def test_the_bandit_rules_are_selected_and_not_ignored():
    lint = ruff_settings()
    assert "S" in lint["select"]
    assert not [rule for rule in lint.get("ignore", []) if rule.startswith("S")]
    for pattern, rules in lint.get("per-file-ignores", {}).items():
        if any(rule.startswith("S") for rule in rules):
            assert pattern in {"tests/**", "benchmarks/**"}, pattern


def test_ruff_check_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which(
        "ruff"
    )
    assert ruff, "ruff is missing: `make test` installs the dev dependencies"
    result = subprocess.run(  # noqa: S603 - ruff from the virtualenv, fixed arguments
        [ruff, "check", "--no-cache", "--output-format=concise", "."],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
