"""A SAML 2.0 identity provider on loopback, for the single sign-on tests only.

It speaks the Web Browser SSO profile as real providers do: it takes the service provider's
AuthnRequest on the HTTP-Redirect binding, shows a login page, and answers on the HTTP-POST
binding with a Response whose Assertion is signed (RSA-SHA256, exclusive c14n) by signxml — an
XML-signature implementation independent of the xmlsec/python3-saml stack that allauth uses to
check it. Who signs in is typed into the login page (NameID and attributes), as a person types
their credentials at their company's provider.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import threading
import uuid
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME = "http://schemas.microsoft.com/identity/claims/displayname"
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def _instant(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _self_signed() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-idp.invalid")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class SamlIdentityProvider:
    base_url: str
    entity_id: str
    certificate: str
    key: bytes

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/sso"

    @property
    def certificate_body(self) -> str:
        """The certificate as an admin pastes it: base64 without the PEM armour."""
        lines = self.certificate.strip().splitlines()
        return "".join(line for line in lines if "CERTIFICATE" not in line)

    def response(
        self, *, request_id: str, acs: str, audience: str, name_id: str, attributes: dict[str, str]
    ) -> str:
        """A signed SAML Response, base64-encoded as it travels in the POST form."""
        now = dt.datetime.now(dt.UTC)
        later = _instant(now + dt.timedelta(minutes=5))
        assertion_id = f"_a{uuid.uuid4().hex}"
        values = "".join(
            f'<saml:Attribute Name="{html.escape(k)}"><saml:AttributeValue>'
            f"{html.escape(v)}</saml:AttributeValue></saml:Attribute>"
            for k, v in attributes.items()
            if v
        )
        assertion = etree.fromstring(
            f'<saml:Assertion xmlns:saml="{SAML}" ID="{assertion_id}" Version="2.0" '
            f'IssueInstant="{_instant(now)}">'
            f"<saml:Issuer>{html.escape(self.entity_id)}</saml:Issuer>"
            '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="placeholder"/>'
            "<saml:Subject>"
            '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
            f"{html.escape(name_id)}</saml:NameID>"
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData InResponseTo="{html.escape(request_id)}" '
            f'NotOnOrAfter="{later}" Recipient="{html.escape(acs)}"/>'
            "</saml:SubjectConfirmation></saml:Subject>"
            f'<saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}" '
            f'NotOnOrAfter="{later}"><saml:AudienceRestriction>'
            f"<saml:Audience>{html.escape(audience)}</saml:Audience>"
            "</saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{_instant(now)}" '
            f'SessionIndex="_s{uuid.uuid4().hex}">'
            "<saml:AuthnContext><saml:AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
            # The schema wants at least one Attribute in a statement: none, no statement.
            + (f"<saml:AttributeStatement>{values}</saml:AttributeStatement>" if values else "")
            + "</saml:Assertion>"
        )
        signed = XMLSigner(
            signature_algorithm="rsa-sha256",
            digest_algorithm="sha256",
            c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
        ).sign(assertion, key=self.key, cert=self.certificate, reference_uri=assertion_id)
        response = etree.fromstring(
            f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" '
            f'ID="_r{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}" '
            f'Destination="{html.escape(acs)}" InResponseTo="{html.escape(request_id)}">'
            f"<saml:Issuer>{html.escape(self.entity_id)}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</samlp:Status></samlp:Response>"
        )
        response.append(signed)
        return base64.b64encode(etree.tostring(response)).decode()


def _handler(idp: SamlIdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/sso":
                self._send(404, "not found")
                return
            query = parse_qs(parts.query)
            try:
                raw = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
                request = etree.fromstring(raw)
            except (KeyError, ValueError, zlib.error, etree.XMLSyntaxError):
                self._send(400, "no valid SAMLRequest")
                return
            issuer = request.findtext(f"{{{SAML}}}Issuer") or ""
            hidden = {
                "request_id": request.get("ID", ""),
                "acs": request.get("AssertionConsumerServiceURL", ""),
                "audience": issuer,
                "relay_state": query.get("RelayState", [""])[0],
            }
            fields = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                for k, v in hidden.items()
            )
            self._send(
                200,
                "<h1>Sign in to the test SAML provider</h1>"
                f'<form method="post" action="/login">{fields}'
                '<input name="name_id"><input name="email"><input name="name">'
                '<input name="object_id"><button>Sign in</button></form>',
            )

        def do_POST(self) -> None:
            if self.path != "/login":
                self._send(404, "not found")
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            saml_response = idp.response(
                request_id=form.get("request_id", ""),
                acs=form.get("acs", ""),
                audience=form.get("audience", ""),
                name_id=form.get("name_id", ""),
                attributes={
                    EMAIL: form.get("email", ""),
                    NAME: form.get("name", ""),
                    OBJECT_ID: form.get("object_id", ""),
                },
            )
            # The HTTP-POST binding: a form the browser submits to the service provider.
            self._send(
                200,
                f'<form method="post" action="{html.escape(form.get("acs", ""))}">'
                f'<input type="hidden" name="SAMLResponse" value="{saml_response}">'
                f'<input type="hidden" name="RelayState" '
                f'value="{html.escape(form.get("relay_state", ""))}">'
                "<button>Continue</button></form>"
                "<script>document.forms[0].submit()</script>",
            )

    return Handler


def start() -> tuple[SamlIdentityProvider, ThreadingHTTPServer]:
    key, certificate = _self_signed()
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    idp = SamlIdentityProvider(
        base_url=base_url, entity_id=f"{base_url}/metadata", certificate=certificate, key=key
    )
    server.RequestHandlerClass = _handler(idp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return idp, server
