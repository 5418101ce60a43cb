"""The layers hold: the Word package (app/word) and the text tools under it (app/text) are pure,
a plain model in and bytes (or a plain model) out, so that they can be read, tested and changed
without a database. What an export shows is read from the database by the use case,
app/rounds/export_loader.py, never by app/word.

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
NEUTRAL = {"app.errors"}
PURE: dict[str, tuple[set[str], set[str]]] = {
    # package: (app modules it may import, besides NEUTRAL; third-party libraries it may import)
    "word": ({"app.word", "app.text"}, WORD_LIBRARIES),
    "text": ({"app.text"}, {"diff_match_patch", "fast_diff_match_patch"}),
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
