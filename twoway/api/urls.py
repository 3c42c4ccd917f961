from django.urls import path

from twoway.api import insights, people, program_writes, programs, views
from twoway.api.core import api

api.add_router("", people.router)
# program_writes adds the writes to the programs router (one router per path).
assert program_writes.router is programs.router
api.add_router("", programs.router)
api.add_router("", insights.router)

# Mounted at /api/v1/ (machines, keys) …
urlpatterns = [path("", api.urls)]

# … and at /o/<org>/settings/ (org admins make and revoke keys).
org_patterns = [
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
]
