"""notifications is infrastructure: it knows no domain app, and lib knows no app at all. Domain
apps hand it what it needs (a group of recipients in the message context, their own jobs and
kinds through the registries)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "twoway"
DOMAIN = ("programs", "meetings", "goals", "feedback", "insights", "support", "partnerships")
# The Slack integration is being moved out to twoway/integrations/slack/, where it may call the
# meetings services; until then it is the one module of notifications that reads check-ins.
MOVING_OUT = {"slack.py"}


def imported_apps(path: Path) -> set[str]:
    apps = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "twoway" and len(parts) > 1:
                apps.add(parts[1])
    return apps


def test_notifications_imports_no_domain_app_not_even_inside_a_function() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & set(DOMAIN))
        for path in (ROOT / "notifications").rglob("*.py")
        if path.name not in MOVING_OUT
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_lib_imports_no_app() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - {"lib"})
        for path in (ROOT / "lib").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
