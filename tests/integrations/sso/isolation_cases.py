from __future__ import annotations

from tests.isolation import ORG_ADMIN, PUBLIC, Case, org_url, plain

# Nobody in the shared world has single sign-on: acme's sign-in page and callback do not exist
# (404, the same as an unknown organization). tests/integrations/sso covers them switched on.
NO_SSO = {"alice": 404, "bob": 404, "carol": 404, "dave": 404}

CASES: dict[str, Case] = {
    "sso_settings": Case(org_url("sso_settings"), ORG_ADMIN),
    # Finding an organization by email answers everyone with a redirect to the sign-in page.
    "sso_find": Case(
        plain("sso_find"),
        PUBLIC,
        expect={"alice": 302, "bob": 302, "carol": 302, "dave": 302},
        method="post",
        data=lambda w: {"email": "alice@acme.example"},
    ),
    "sso_start": Case(lambda w: f"/sso/{w.acme.slug}/login/", PUBLIC, expect=NO_SSO),
    "openid_connect_callback": Case(
        plain("openid_connect_callback", provider_id="acme"), PUBLIC, expect=NO_SSO
    ),
    # allauth's assertion consumer service only parks the posted answer in a cookie and sends
    # the browser on to the finishing step (for SameSite cookies): it answers everyone alike.
    "saml_acs": Case(
        plain("saml_acs", organization_slug="acme"),
        PUBLIC,
        expect={"alice": 302, "bob": 302, "carol": 302, "dave": 302},
    ),
    "saml_finish_acs": Case(
        plain("saml_finish_acs", organization_slug="acme"), PUBLIC, expect=NO_SSO
    ),
    "saml_sls": Case(plain("saml_sls", organization_slug="acme"), PUBLIC, expect=NO_SSO),
    "saml_metadata": Case(plain("saml_metadata", organization_slug="acme"), PUBLIC, expect=NO_SSO),
}
