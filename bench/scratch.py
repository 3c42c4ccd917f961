"""What the benches that make their own PostgreSQL database share: Django set up on it, the
database made and dropped, and a count of the SQL statements a piece of work sends."""

from __future__ import annotations

import os
from typing import Any


def setup_django(url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twoway.test_settings")
    os.environ["TWOWAY_TEST_DATABASE_URL"] = url
    import django

    django.setup()


def scratch_database(server_url: str, name: str, *, drop_only: bool = False) -> str:
    """Drop the database `name` on the server of `server_url` and (unless `drop_only`) make it
    again, empty; its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


class Counter:
    """Counts the SQL statements sent while it is installed (`connection.execute_wrapper`)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)
