"""Directory URLs: `org_patterns` under /o/<org>/settings/, `public_patterns` at the root."""

from django.urls import URLPattern, URLResolver, path

from twoway.directory import views

org_patterns: list[URLPattern | URLResolver] = [
    path("directory/", views.directory_settings, name="directory_settings"),
    path("directory/imports/<int:import_id>/", views.directory_import, name="directory_import"),
    path(
        "directory/imports/<int:import_id>/errors.csv",
        views.directory_import_errors,
        name="directory_import_errors",
    ),
    path(
        "directory/imports/<int:import_id>/confirm/",
        views.directory_import_confirm,
        name="directory_import_confirm",
    ),
    path("directory/invitations/", views.directory_invitations, name="directory_invitations"),
    path("directory/invitations/send/", views.directory_invite, name="directory_invite"),
]

public_patterns: list[URLPattern | URLResolver] = [
    path("invite/<str:token>/", views.invitation_page, name="invitation_accept"),
]
