from django.urls import path, re_path

from twoway.integrations.scim import views

# Mounted at /scim/v2/: identity providers' endpoints (bearer token, no session).
public_patterns = [
    path("", views.scim_endpoint, name="scim_root"),
    re_path(r"^(?P<path>.+)$", views.scim_endpoint, name="scim_endpoint"),
]

# Mounted at /o/<org>/settings/: the org admins' page for tokens.
org_patterns = [
    path("scim/", views.scim_settings, name="scim_settings"),
    path("scim/<int:token_id>/revoke/", views.scim_token_revoke_view, name="scim_token_revoke"),
]
