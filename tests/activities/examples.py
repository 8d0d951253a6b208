"""The example barèmes and their expected prices (``data/baremes``, see its README)."""

import json
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent / "data" / "baremes"
EXAMPLE_FILES = sorted(
    path
    for path in EXAMPLES_DIR.glob("*.json")
    if not path.name.endswith(".cases.json")
)


def example_document(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def example_cases() -> list[tuple[Path, int, dict]]:
    """(barème file, case number, case) for every case of every example."""
    cases = []
    for path in EXAMPLE_FILES:
        cases_path = path.with_name(f"{path.stem}.cases.json")
        for number, case in enumerate(json.loads(cases_path.read_text("utf-8"))):
            cases.append((path, number, case))
    return cases


EXAMPLE_CASES = example_cases()


def case_id(value) -> str:
    if isinstance(value, Path):
        return value.stem
    return str(value)


def situation_args(situation: dict) -> list[str]:
    """The ``manage.py bareme quote`` options for a situation of a cases file."""
    args = ["--no-qf"] if situation.get("qf") is None else ["--qf", situation["qf"]]
    if situation.get("residence") == "non_resident":
        args.append("--non-resident")
    if "child_rank" in situation:
        args += ["--child-rank", str(situation["child_rank"])]
    if "regime" in situation:
        args += ["--regime", situation["regime"]]
    for flag in situation.get("flags", []):
        args += ["--flag", flag]
    return args
