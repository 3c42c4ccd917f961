from __future__ import annotations

from tests.conftest import World
from tests.isolation import ORG_ADMIN, Case, org_url


def _endpoint_id(w: World) -> int:
    from twoway.integrations.webhooks.models import WebhookEndpoint
    from twoway.lib import crypto

    return WebhookEndpoint.objects.create(
        organization=w.acme,
        url="https://hr.acme.example/hooks",
        events=["partnership.created"],
        secret_encrypted=crypto.encrypt("whsec_test"),
    ).pk


CASES: dict[str, Case] = {
    "webhooks": Case(org_url("webhooks"), ORG_ADMIN),
    "webhook_delete": Case(
        org_url("webhook_delete", endpoint_id=_endpoint_id), ORG_ADMIN, method="post"
    ),
}
