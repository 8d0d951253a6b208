"""The project carries what it runs and tests: nothing in it reads a folder beside the
checkout (the fake API's staging cases and the example barèmes live inside it)."""

import re
import subprocess
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
# Spelt in two parts so that this file does not find itself.
OUTSIDE_REFERENCE = re.compile(r"\.\./" + "shared|SHARED" + "_DIR")


def tracked_files() -> list[Path]:
    result = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, in the checkout
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        check=True,
    )
    names = result.stdout.decode().split("\0")
    return [REPOSITORY_ROOT / name for name in names if name]


def test_no_file_reaches_outside_the_checkout():
    offenders = []
    for path in tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE_REFERENCE.search(line):
                offenders.append(
                    f"{path.relative_to(REPOSITORY_ROOT)}:{number}: {line}"
                )
    assert offenders == []
