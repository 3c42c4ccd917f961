from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.conftest import World, require_postgres
from twoway.accounts.models import Membership, User
from twoway.integrations.sso.models import SsoConnection, SsoDomain
from twoway.integrations.sso.services import sso_sign_in
from twoway.people.models import Person


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_sign_ins_make_one_account(world: World) -> None:
    """Finn opens Twoway in four tabs on his first morning: one account, one record, no error."""
    require_postgres()
    sso = SsoConnection.objects.create(
        organization=world.acme,
        provider_id="acme",
        issuer="https://idp.invalid",
        client_id="c",
        enabled=True,
        jit_for_allowed_domains=True,
    )
    SsoDomain.objects.create(connection=sso, domain="acme.example")
    claims = {"sub": "00u8finn", "email": "finn@acme.example", "email_verified": True}
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def first_sign_in() -> None:
        try:
            connection_row = SsoConnection.objects.select_related("organization").get(pk=sso.pk)
            barrier.wait()
            outcomes.append(sso_sign_in(connection=connection_row, claims=claims).pk)
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_sign_in) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    finn = User.objects.get(email="finn@acme.example")
    assert outcomes == [finn.pk] * 4, outcomes
    assert Person.objects.filter(organization=world.acme, email="finn@acme.example").count() == 1
    assert Membership.objects.filter(user=finn).count() == 1
