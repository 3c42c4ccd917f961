from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.urls import path

from twoway.integrations.sso import views

# Under /sso/. Only allauth's callback is mounted, under the name its OpenID Connect provider
# reverses; the handshake starts from `sso_start`, never from allauth's own login page.
urlpatterns = [
    path("find/", views.sso_find, name="sso_find"),
    path("<slug:org_slug>/login/", views.sso_start, name="sso_start"),
    path(
        "oidc/<slug:provider_id>/callback/",
        oidc_views.callback,
        name="openid_connect_callback",
    ),
]

# Under /o/<org>/settings/.
org_patterns = [
    path("sso/", views.sso_settings, name="sso_settings"),
]
