"""Rules for the test suite itself: tests share plain names through tests/helpers.py and fixtures
through tests/conftest.py, which pytest loads on its own; no test imports conftest (that loads it
a second time, as another module) or the benchmark scripts in bench/ (which set sys.path
themselves and may change with any measurement)."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            # from . import conftest / from .conftest import x
            found.update(f".{node.module or alias.name}" for alias in node.names)
    return found


def _forbidden(module: str) -> bool:
    parts = module.lstrip(".").split(".")
    return (
        parts[0] == "bench"
        or parts[0] == "conftest"
        or (parts[0] == "tests" and len(parts) > 1 and parts[1] == "conftest")
    )


def test_no_test_imports_conftest_or_bench() -> None:
    files = [p for p in TESTS.rglob("*.py") if "vendor" not in p.relative_to(TESTS).parts]
    assert len(files) > 50  # the walk really found the suite
    offenders = sorted(
        f"{path.relative_to(TESTS.parent)}: {module}"
        for path in files
        for module in _imported_modules(path)
        if _forbidden(module)
    )
    assert offenders == [], "import from tests/helpers.py instead:\n" + "\n".join(offenders)


def test_the_check_sees_each_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import bench.generate\n"
        "from bench.run import x\n"
        "from tests.conftest import log_in\n"
        "from tests import conftest\n"
        "from . import conftest as c\n"
        "import conftest\n"
        "from tests.helpers import log_in as fine\n"
    )
    flagged = {m for m in _imported_modules(sample) if _forbidden(m)}
    assert flagged == {
        ".conftest",
        "bench.generate",
        "bench.run",
        "bench.run.x",
        "conftest",
        "tests.conftest",
        "tests.conftest.log_in",
    }
