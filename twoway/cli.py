"""The `twoway` command: Django's manage.py plus the project's own commands.

`twoway match …` runs the matching engine without loading Django at all, so it works on a CSV
with no database configured.
"""

from __future__ import annotations

import os
import secrets
import sys

HELP_FLAGS = {"-h", "--help", "--version"}


def _asks_for_help(args: list[str]) -> bool:
    return len(args) == 1 or args[1] == "help" or bool(HELP_FLAGS & set(args[1:]))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else ["twoway", *argv])
    if len(args) > 1 and args[1] == "match":
        from twoway.matching.cli import main as match_main

        return match_main(args[2:])
    if len(args) > 1 and args[1] == "demo":
        # The demo is for trying things out on this machine: debug pages and a dev key.
        os.environ.setdefault("DEBUG", "1")
    if _asks_for_help(args) and not (
        os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE")
    ):
        # Help signs nothing: a throwaway key lets it load the settings (and so list the
        # project's own commands) on a machine that is not configured yet.
        os.environ["SECRET_KEY"] = "help-only-" + secrets.token_urlsafe(32)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twoway.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
