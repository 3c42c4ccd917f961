"""A server error shows a friendly page that gives nothing away."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("password=hunter2 at db.internal:5432")


urlpatterns = [path("boom/", boom), path("", include("twoway.urls"))]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_is_a_friendly_page_without_details(db: None) -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and "try again" in body
    for secret in ("hunter2", "db.internal", "RuntimeError", "Traceback"):
        assert secret not in body
