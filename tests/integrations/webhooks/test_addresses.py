"""The SSRF guard: a webhook reaches public internet addresses only. Registration refuses a host
that is or resolves to a loopback, private, link-local (the metadata service), shared, reserved
or multicast address, in any spelling; delivery resolves once, checks every answer and connects
to a checked address itself, with TLS verified against the host name. Both settings that open
loopback for the other tests are off here unless a test says otherwise."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.conftest import World, client_for
from tests.integrations.webhooks.receiver import Receiver
from tests.integrations.webhooks.tls import server_context
from tests.notifications.helpers import drain
from twoway.integrations.webhooks.addresses import is_public
from twoway.integrations.webhooks.models import WebhookEndpoint
from twoway.integrations.webhooks.services import webhook_endpoint_create
from twoway.lib import crypto
from twoway.lib.errors import Invalid
from twoway.notifications.models import OutboxMessage, OutboxStatus

NOT_PUBLIC = [
    "https://127.0.0.1/hooks",
    "https://127.1.2.3:8443/hooks",
    "https://localhost/hooks",  # a name that resolves to loopback
    "https://2130706433/hooks",  # 127.0.0.1 as one number
    "https://0x7f.1/hooks",  # and in hex
    "https://10.0.0.5/hooks",
    "https://172.16.8.1/hooks",
    "https://192.168.1.20/hooks",
    "https://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "https://100.64.0.1/hooks",  # shared address space (carrier NAT)
    "https://0.0.0.0/hooks",
    "https://224.0.0.1/hooks",
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",  # IPv4-mapped IPv6
    "https://[::ffff:169.254.169.254]/hooks",
    "https://[::ffff:a00:5]/hooks",  # ::ffff:10.0.0.5
    "https://[64:ff9b::7f00:1]/hooks",  # NAT64 of 127.0.0.1
    "https://[2002:a9fe:a9fe::1]/hooks",  # 6to4 of 169.254.169.254
    "https://[fd12:3456::1]/hooks",  # unique local
    "https://[fe80::1]/hooks",  # link-local
]


@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_it_refuses_an_endpoint_that_is_not_on_the_public_internet(world: World, url: str) -> None:
    with pytest.raises(Invalid, match="public internet addresses only"):
        webhook_endpoint_create(
            organization=world.acme, url=url, events=["checkin.held"], actor=world.carol
        )
    assert not WebhookEndpoint.objects.exists()


def test_the_page_says_why_and_keeps_nothing(world: World) -> None:
    response = client_for(world.carol).post(
        "/o/acme/settings/webhooks/",
        {"url": "https://169.254.169.254/latest/meta-data/", "events": ["checkin.held"]},
    )
    assert response.status_code == 400
    assert b"public internet addresses only" in response.content
    assert b"169.254.169.254" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_a_public_address_and_a_name_not_resolving_yet_are_kept(world: World) -> None:
    for url in ("https://8.8.8.8/hooks", "https://[2606:4700:4700::1111]/hooks"):
        webhook_endpoint_create(
            organization=world.acme, url=url, events=["checkin.held"], actor=world.carol
        )
    # Unresolvable now (no DNS here): kept, and checked again at every delivery.
    webhook_endpoint_create(
        organization=world.acme,
        url="https://hooks.example.invalid/x",
        events=["checkin.held"],
        actor=world.carol,
    )
    assert WebhookEndpoint.objects.count() == 3


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("127.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("192.0.2.10", False),  # documentation
        ("ff02::1", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def _queue(world: World, url: str) -> OutboxMessage:
    """An endpoint row as it might stand in the database (registered before this check, or a
    name whose DNS changed since), and one event queued for it."""
    endpoint = WebhookEndpoint.objects.create(
        organization=world.acme,
        url=url,
        events=["checkin.held"],
        secret_encrypted=crypto.encrypt("whsec_test"),
    )
    return OutboxMessage.objects.create(
        organization=world.acme,
        kind="webhook",
        channel="webhook",
        template="webhook",
        context={
            "endpoint_id": endpoint.pk,
            "event": {"id": "checkin.held:1", "type": "checkin.held", "created": "", "data": {}},
        },
        dedupe_key=f"webhook:{endpoint.pk}:checkin.held:1",
        due_at=timezone.now(),
    )


@override_settings(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_delivery_to_a_loopback_address_is_never_made(world: World, host: str) -> None:
    with Receiver(host=host) as receiver:
        row = _queue(world, receiver.url)
        drain()
    assert receiver.received == []
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and row.failed_permanently
    assert "127.0.0.1, which is not a public address" in row.last_error


def _resolver(answers: list[str], calls: list[str]) -> Any:
    """DNS for the made-up name rebind.test: each lookup gets the next answer (a name under an
    attacker's control can answer differently every time); other names resolve as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        calls.append(host)
        address = answers[min(len(calls), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return getaddrinfo


@override_settings(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True)
def test_a_name_that_rebinds_to_loopback_after_the_check_is_not_reached(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First answer private: refused without a second look-up."""
    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(["127.0.0.1", "8.8.8.8"], calls))
    with Receiver(host="rebind.test") as receiver:
        row = _queue(world, receiver.url)
        drain()
    assert receiver.received == [] and calls == ["rebind.test"]
    row.refresh_from_db()
    assert row.failed_permanently


@override_settings(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True, TWOWAY_WEBHOOK_ALLOW_PRIVATE=True)
def test_the_delivery_connects_to_the_address_it_checked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is looked up once per delivery and the connection goes to that answer: a second
    look-up (as a check followed by an ordinary request would make) gets 127.0.0.2, where
    nothing listens."""
    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(["127.0.0.1", "127.0.0.2"], calls))
    with Receiver(host="rebind.test") as receiver:
        row = _queue(world, receiver.url)
        drain()
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT, row.last_error
    assert calls == ["rebind.test"]
    (delivery,) = receiver.received
    assert delivery.headers["Host"] == f"rebind.test:{receiver.port}"


@override_settings(TWOWAY_WEBHOOK_ALLOW_PRIVATE=True)
def test_tls_is_verified_against_the_host_name_not_the_address(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receiver whose certificate names `localhost` only: reached as https://localhost it is
    delivered to (the pinned address did not lose the name); reached as https://127.0.0.1 the
    certificate does not match and nothing is sent."""
    context, ca_file = server_context(tmp_path, "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with Receiver(tls=context, host="localhost") as receiver:
        good = _queue(world, receiver.url)
        drain()
        good.refresh_from_db()
        assert good.status == OutboxStatus.SENT, good.last_error
        assert len(receiver.received) == 1
        OutboxMessage.objects.all().delete()
        WebhookEndpoint.objects.all().delete()
        mismatch = _queue(world, receiver.url.replace("localhost", "127.0.0.1"))
        drain()
    mismatch.refresh_from_db()
    assert mismatch.status == OutboxStatus.PENDING and mismatch.attempts == 1
    assert "certificate" in mismatch.last_error.lower()
    assert len(receiver.received) == 1


@override_settings(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True, TWOWAY_WEBHOOK_ALLOW_PRIVATE=True)
def test_an_attempt_tries_at_most_three_addresses_of_a_name(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each address may take the connect timeout and as long again to answer: a name with
    many addresses must not hold one attempt past the outbox lease. Four dead addresses
    first, the receiver fifth: not reached in this attempt."""
    real = socket.getaddrinfo
    dead = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "many.test":
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in [*dead, "127.0.0.1"]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    tried: list[str] = []
    connect = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        tried.append(address[0])
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with Receiver(host="many.test") as receiver:
        row = _queue(world, receiver.url)
        drain()
    assert receiver.received == [] and tried == dead[:3]
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
