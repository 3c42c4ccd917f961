from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.notifications.servers import FakeSlack, SmtpSink


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with (
        SmtpSink() as sink,
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=sink.port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            BASE_URL="https://twoway.example.com",
        ),
    ):
        yield sink


@pytest.fixture
def slack_api() -> Iterator[FakeSlack]:
    with (
        FakeSlack() as fake,
        override_settings(
            SLACK_API_URL=fake.url,
            SLACK_CLIENT_ID="111.222",
            SLACK_CLIENT_SECRET="client-secret",
            SLACK_SIGNING_SECRET="signing-secret",
        ),
    ):
        yield fake
