"""No import cycle between the modules of family_portal/ and activities/.

Our own import-graph check (tests/architecture/import_graph.py) rather than
import-linter: no new dependency and no contract listing every module to keep up to date
as apps move in, and we decide exactly which imports count. The cycles we had
(enrolment ↔ certificates, activities' models ↔ forms) were hidden in imports inside
functions, placed there to dodge the circular import at load time, so those must count.
This check reads every module with `ast` (migrations
excepted), counts imports at module level AND inside functions (not under
`if TYPE_CHECKING:`), and fails on any strongly connected group of modules. Importing a
submodule does not count as importing its parent package's `__init__`, so a package that
re-exports its modules (family_portal.models) is not a cycle by itself.

On the code before issue 14 it reports activities.forms ↔ activities.models and
family_portal.enrolment → certificates.services → certificates.content → enrolment.
"""

from tests.architecture.import_graph import PACKAGES, cycles, import_graph


def test_no_import_cycle_between_our_modules():
    found = cycles(import_graph())
    assert not found, "Import cycles (each group imports itself back):\n" + "\n".join(
        " ↔ ".join(group) for group in found
    )


def test_the_check_sees_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / PACKAGES[0]
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import thing\n")
    (package / "b.py").write_text("def thing():\n    from . import a\n    return a\n")
    # Migrations and TYPE_CHECKING imports are not counted.
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import d\n"
    )
    (package / "d.py").write_text("from . import c\n")
    (package / "migrations" / "0001_x.py").write_text(f"from {PACKAGES[0]} import a\n")
    assert cycles(import_graph(tmp_path, PACKAGES[:1])) == [
        [f"{PACKAGES[0]}.a", f"{PACKAGES[0]}.b"]
    ]
