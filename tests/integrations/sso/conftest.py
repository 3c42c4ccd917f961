"""Identity providers on loopback — a real OpenID provider (node + oidc-provider) and a SAML
provider (saml_idp.py) — and helpers to sign in through them the way a browser would: our
sign-in button, the provider's pages, back to our callback or assertion consumer service."""

from __future__ import annotations

import html
import json
import re
import select
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.test import Client

from tests.conftest import World, require_or_skip
from tests.integrations.sso.saml_idp import SamlIdentityProvider
from tests.integrations.sso.saml_idp import start as start_saml_idp
from twoway.integrations.sso.models import SsoConnection
from twoway.integrations.sso.services import sso_connection_save

PROVIDER_DIR = Path(__file__).parent / "provider"
CALLBACK = "http://testserver/sso/oidc/{provider_id}/callback/"


@dataclass
class IdentityProvider:
    issuer: str

    def register(self, *redirect_uris: str) -> tuple[str, str]:
        """Register a web client (RFC 7591), as an admin does in their provider's console."""
        response = requests.post(
            f"{self.issuer}/reg", json={"redirect_uris": list(redirect_uris)}, timeout=10
        )
        response.raise_for_status()
        body = response.json()
        return body["client_id"], body["client_secret"]

    def sign_in(self, authorize_url: str, **claims: str) -> str:
        """Follow the provider from the authorization request to its redirect back to us,
        signing in on its login page with these claims. Returns the URL it sends us back to."""
        assert authorize_url.startswith(self.issuer + "/"), authorize_url
        session = requests.Session()
        url, form = authorize_url, None
        for _ in range(12):
            if form is None:
                response = session.get(url, allow_redirects=False, timeout=10)
            else:
                response = session.post(url, data=form, allow_redirects=False, timeout=10)
                form = None
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["Location"])
                if not url.startswith(self.issuer):
                    return url
            elif response.status_code == 200 and "/interaction/" in url:
                form = {"sub": "", **claims}
            else:
                raise AssertionError(f"{url}: {response.status_code} {response.text[:300]}")
        raise AssertionError("the provider never sent the browser back")


@pytest.fixture(scope="session")
def idp() -> Iterator[IdentityProvider]:
    node = shutil.which("node")
    if node is None:
        require_or_skip("node is not installed (apt-get install nodejs npm)")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        require_or_skip(f"run `npm ci` in {PROVIDER_DIR}")
    assert node is not None
    process = subprocess.Popen(
        [node, "server.mjs"],
        cwd=PROVIDER_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        if not ready:
            raise RuntimeError("the test OpenID provider did not start within 20 s")
        issuer = json.loads(process.stdout.readline())["issuer"]
        yield IdentityProvider(issuer)
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def acme_sso(world: World, idp: IdentityProvider) -> SsoConnection:
    """Acme's admin has registered Twoway at the provider and saved the settings page."""
    client_id, secret = idp.register(CALLBACK.format(provider_id="acme"))
    return sso_connection_save(
        organization=world.acme,
        actor=world.carol,
        values={
            "enabled": True,
            "issuer": idp.issuer,
            "client_id": client_id,
            "id_claim": "sub",
            "link_by_email": False,
            "jit_for_allowed_domains": False,
        },
        client_secret=secret,
        domains=["acme.example"],
        password_sign_in=True,
    )


def sso_sign_in(
    client: Client, idp: IdentityProvider, org_slug: str = "acme", next_url: str = "", **claims: str
) -> object:
    """Press "Sign in with <Org>'s SSO", sign in at the provider, and come back: the response
    of our callback."""
    response = client.post(f"/sso/{org_slug}/login/", {"next": next_url})
    assert response.status_code == 302, response
    back = idp.sign_in(response["Location"], **claims)
    parts = urlsplit(back)
    assert parts.netloc == "testserver", back
    return client.get(f"{parts.path}?{parts.query}")


@pytest.fixture(scope="session")
def saml_idp() -> Iterator[SamlIdentityProvider]:
    idp, server = start_saml_idp()
    yield idp
    server.shutdown()
    server.server_close()


# python3-saml refuses single-label host names such as Django's "testserver" in its URLs.
SAML_HOST = "twoway.test"


@pytest.fixture
def acme_saml(world: World, saml_idp: SamlIdentityProvider, settings: Any) -> SsoConnection:
    """Acme's admin has made a SAML app at the provider and saved the settings page."""
    settings.ALLOWED_HOSTS = [SAML_HOST, "testserver"]
    return sso_connection_save(
        organization=world.acme,
        actor=world.carol,
        values={
            "enabled": True,
            "protocol": "saml",
            "saml_entity_id": saml_idp.entity_id,
            "saml_sso_url": saml_idp.sso_url,
            "saml_certificate": saml_idp.certificate_body,
            "id_claim": "sub",
        },
        client_secret="",
        domains=["acme.example"],
        password_sign_in=True,
    )


def _hidden_fields(markup: str) -> dict[str, str]:
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', markup
        )
    }


def saml_sign_in(
    client: Client,
    idp: SamlIdentityProvider,
    org_slug: str = "acme",
    tamper: Callable[[str], str] | None = None,
    **person: str,
) -> object:
    """Press "Sign in with <Org>'s SSO", sign in on the SAML provider's page, and let the
    browser post its answer to our ACS: the response of our finishing step."""
    # A browser always sends Host; Django's test client does not unless told (python3-saml reads
    # it to check where the answer was sent, and wants a dotted domain: see SAML_HOST).
    response = client.post(f"/sso/{org_slug}/login/", HTTP_HOST=SAML_HOST)
    assert response.status_code == 302, response
    login_page = requests.get(response["Location"], timeout=10)
    assert login_page.status_code == 200, login_page.text
    answer = requests.post(
        f"{idp.base_url}/login", data={**_hidden_fields(login_page.text), **person}, timeout=10
    )
    form = _hidden_fields(answer.text)
    acs = html.unescape(re.search(r'<form method="post" action="([^"]+)"', answer.text)[1])  # type: ignore[index]
    if tamper is not None:
        form["SAMLResponse"] = tamper(form["SAMLResponse"])
    parts = urlsplit(acs)
    assert parts.netloc == SAML_HOST, acs
    finish = client.post(parts.path, form, HTTP_HOST=SAML_HOST)
    assert finish.status_code == 302, finish
    return client.get(finish["Location"], HTTP_HOST=SAML_HOST)
