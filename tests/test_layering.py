"""The layers hold: the Word package (app/word) and the text tools under it (app/text) are pure,
a plain model in and bytes (or a plain model) out, so that they can be read, tested and changed
without a database. What an export shows is read from the database by the use case,
app/rounds/export_loader.py, never by app/word.

General code (app/web and the modules at the top of app/) imports no feature package: the types
every layer shares (Principal, the API's Strict and ErrorOut, is_id) live in neutral modules, not
in a feature that others would then depend on. And no page module imports another area's pages:
what two pages show alike lives in a module of its own area (app/comments/panels.py,
app/proposals/display.py).

Every import statement counts, at the top of a module or inside a function."""

import ast
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# Third-party libraries the Word files are made and read with; nothing else (no sqlalchemy, no
# fastapi, no pydantic).
WORD_LIBRARIES = {"docx", "lxml"}
# Neutral modules any layer may import: they import nothing from app themselves (checked below).
NEUTRAL = {"app.errors", "app.ids", "app.schemas"}
PURE: dict[str, tuple[set[str], set[str]]] = {
    # package: (app modules it may import, besides NEUTRAL; third-party libraries it may import)
    "word": ({"app.word", "app.text"}, WORD_LIBRARIES),
    # phonenumbers: libphonenumber's metadata for the personal-data check, nothing fetched
    "text": ({"app.text"}, {"diff_match_patch", "fast_diff_match_patch", "phonenumbers"}),
}


def imported(source: str, module: str) -> list[tuple[int, str]]:
    """(line, module) of every import in a module's source, relative ones made absolute."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.rsplit(".", node.level)[0]
                base = f"{package}.{base}" if base else package
            if node.module is None:  # from . import x: x is a module of the package
                out.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                out.append((node.lineno, base))
    return sorted(out)


def within(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def breaches(source: str, module: str, allowed: set[str], libraries: set[str]) -> list[str]:
    """The imports of one module that leave its layer, as "line: module"."""
    out = []
    for line, name in imported(source, module):
        top = name.split(".")[0]
        if top == "app":
            ok = within(name, allowed | NEUTRAL)
        else:
            ok = top in sys.stdlib_module_names or top in libraries
        if not ok:
            out.append(f"{line}: {name}")
    return out


def modules(package: str) -> list[Path]:
    return sorted((APP / package).rglob("*.py"))


def module_name(path: Path) -> str:
    """Dotted, with a package's own module as `package.__init__` (relative imports resolve)."""
    return ".".join(path.relative_to(APP.parent).with_suffix("").parts)


@pytest.mark.parametrize("package", sorted(PURE))
def test_pure_packages_import_nothing_outside_their_layer(package: str) -> None:
    allowed, libraries = PURE[package]
    found = modules(package)
    assert len(found) > 3  # the walk sees the package
    problems = {
        str(path.relative_to(APP.parent)): bad
        for path in found
        if (bad := breaches(path.read_text(), module_name(path), allowed, libraries))
    }
    assert not problems, f"app/{package} must stay pure; these imports leave it: {problems}"


def test_neutral_modules_import_nothing_from_the_app() -> None:
    for name in NEUTRAL:
        path = APP.parent / (name.replace(".", "/") + ".py")
        names = [n for _, n in imported(path.read_text(), name)]
        assert not [n for n in names if n.split(".")[0] == "app"], name


# General code: the web layer and the modules at the top of app/ that any feature may use.
GENERAL = {
    "app.web",
    "app.db",
    "app.config",
    "app.errors",
    "app.signing",
    "app.schemas",
    "app.principal",
    "app.ids",
    "app.cache",
    "app.timezones",
}
# What general code may import besides itself: the models, and the audit trail that every change
# writes to (app/audit/service.py and chain.py import only the models and app.db).
FOUNDATIONS = GENERAL | {"app.models", "app.audit.service", "app.audit.chain"}
# The one place general code reaches into a feature: the request dependency that finds who is
# asking (a session cookie or an API token) and checks the route's permission.
GENERAL_EXCEPTIONS = {"app.web.deps": {"app.accounts.service", "app.accounts.permissions"}}


def imported_names(source: str, module: str) -> list[tuple[int, str]]:
    """Like imported(), but `from a.b import c` counts as a.b.c: c may be a module of a.b."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.rsplit(".", node.level)[0]
                base = f"{package}.{base}" if base else package
            out.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return sorted(set(out))


def general_modules() -> list[Path]:
    found = []
    for name in sorted(GENERAL):
        path = APP.parent / name.replace(".", "/")
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")])
    return found


def general_breaches(source: str, module: str) -> list[str]:
    """The imports of a general module that reach into a feature package, as "line: module"."""
    allowed = FOUNDATIONS | GENERAL_EXCEPTIONS.get(module, set())
    return [
        f"{line}: {name}"
        for line, name in imported_names(source, module)
        if name.split(".")[0] == "app" and not within(name, allowed)
    ]


def test_general_code_imports_no_feature_package() -> None:
    found = general_modules()
    assert all(path.is_file() for path in found)
    assert len(found) > 10  # the walk sees app/web and the top-level modules
    problems = {
        str(path.relative_to(APP.parent)): bad
        for path in found
        if (bad := general_breaches(path.read_text(), module_name(path)))
    }
    assert not problems, f"general code must not import feature packages: {problems}"


def page_modules() -> list[Path]:
    """Every module of pages: app/<area>/pages.py and app/<area>/<something>_pages.py."""
    return sorted(p for p in APP.glob("*/*.py") if p.stem == "pages" or p.stem.endswith("_pages"))


def page_breaches(source: str, module: str) -> list[str]:
    """The imports of a page module that name another area's page module, as "line: module"."""
    area = module.split(".")[1]
    out = []
    for line, name in imported_names(source, module):
        parts = name.split(".")
        if len(parts) < 3 or parts[0] != "app" or parts[1] == area:
            continue
        if parts[2] == "pages" or parts[2].endswith("_pages"):
            out.append(f"{line}: {name}")
    return out


def test_pages_do_not_import_other_areas_pages() -> None:
    found = page_modules()
    assert len(found) > 10  # the walk sees the page modules
    problems = {
        str(path.relative_to(APP.parent)): bad
        for path in found
        if (bad := page_breaches(path.read_text(), module_name(path)))
    }
    assert not problems, f"a page module imports another area's pages: {problems}"


def test_shared_types_live_in_neutral_modules() -> None:
    assert not (APP / "web" / "ids.py").exists()
    schemas = (APP / "register" / "schemas.py").read_text()
    assert "class Strict" not in schemas and "class ErrorOut" not in schemas
    accounts = (APP / "accounts" / "service.py").read_text()
    assert "class Principal" not in accounts and "class DelegationRef" not in accounts


def test_page_and_general_breaches_are_caught() -> None:
    page = (
        "from app.comments.pages import comments_panel\n"
        "from app.comments.panels import comments_panel\n"
        "def f():\n"
        "    import app.accounts.mfa_pages\n"
        "from app.register import pages\n"
        "from app.proposals import pages as proposal_pages\n"
        "from . import forms\n"
    )
    assert page_breaches(page, "app.register.pages") == [
        "1: app.comments.pages.comments_panel",
        "4: app.accounts.mfa_pages",
        "6: app.proposals.pages",
    ]
    assert page_breaches("from app.accounts.pages import x\n", "app.accounts.mfa_pages") == []
    general = (
        "from app.models import Role\n"
        "from app.audit.service import Actor\n"
        "from app.proposals import service\n"
        "def f():\n"
        "    from app.accounts.service import log_in\n"
        "from .templating import render\n"
        "from app import signing, rounds\n"
    )
    assert general_breaches(general, "app.web.cache") == [
        "3: app.proposals.service",
        "5: app.accounts.service.log_in",
        "7: app.rounds",
    ]
    assert general_breaches(general, "app.web.deps") == [
        "3: app.proposals.service",
        "7: app.rounds",
    ]


def test_the_loader_lives_with_the_use_case() -> None:
    assert not (APP / "word" / "loader.py").exists()
    assert (APP / "rounds" / "export_loader.py").is_file()


def test_a_breach_is_caught_wherever_the_import_stands() -> None:
    source = (
        "import io\n"
        "from lxml import etree\n"
        "from app.word.model import Run\n"
        "from . import marks\n"
        "from .revisions import w\n"
        "from app.errors import Conflict\n"
        "from sqlalchemy import select\n"
        "def load():\n"
        "    from app.proposals import service\n"
        "    import app.models\n"
        "from .. import config\n"
    )
    assert breaches(source, "app.word.writer", *PURE["word"]) == [
        "7: sqlalchemy",
        "9: app.proposals",
        "10: app.models",
        "11: app.config",
    ]
