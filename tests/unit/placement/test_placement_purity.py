"""ocm_core.placement stays pure: no I/O, event loop or clock imports."""

import ast
from pathlib import Path

import pytest

import ocm_core.placement

PACKAGE = Path(ocm_core.placement.__file__).parent
FORBIDDEN = {"asyncio", "aiohttp", "grpc", "socket", "ssl", "uvloop", "kubernetes", "time", "os"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_module_does_no_io(path: Path) -> None:
    assert imported_roots(path) & FORBIDDEN == set()
