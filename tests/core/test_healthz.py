from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import Client


def test_it_reports_a_working_database(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_it_runs_on_the_database_ci_asked_for(db: None) -> None:
    """CI runs the suite twice; this proves the second run really was on PostgreSQL."""
    expected = os.environ.get("TWOWAY_EXPECT_DB")
    if not expected:
        pytest.skip("TWOWAY_EXPECT_DB not set (only CI asks for a given database)")
    assert connection.vendor == expected
