from allauth.socialaccount.providers.openid_connect import views as oidc_views
from allauth.socialaccount.providers.saml import views as saml_views
from django.urls import path

from twoway.integrations.sso import views

# Under /sso/. Only allauth's endpoints that the identity provider calls are mounted, under the
# names allauth reverses; the handshake starts from `sso_start`, never from allauth's own login
# pages.
urlpatterns = [
    path("find/", views.sso_find, name="sso_find"),
    path("<slug:org_slug>/login/", views.sso_start, name="sso_start"),
    path(
        "oidc/<slug:provider_id>/callback/",
        oidc_views.callback,
        name="openid_connect_callback",
    ),
    path("saml/<slug:organization_slug>/acs/", saml_views.acs, name="saml_acs"),
    path(
        "saml/<slug:organization_slug>/acs/finish/",
        saml_views.finish_acs,
        name="saml_finish_acs",
    ),
    path("saml/<slug:organization_slug>/sls/", saml_views.sls, name="saml_sls"),
    path("saml/<slug:organization_slug>/metadata/", saml_views.metadata, name="saml_metadata"),
]

# Under /o/<org>/settings/.
org_patterns = [
    path("sso/", views.sso_settings, name="sso_settings"),
]
