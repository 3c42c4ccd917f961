"""Notification URLs: `org_patterns` under /o/<org>/settings/, `public_patterns` under /n/."""

from django.urls import URLPattern, URLResolver, path

from twoway.notifications import views

org_patterns: list[URLPattern | URLResolver] = [
    path("notifications/", views.preferences, name="notification_preferences"),
    path("outbox/", views.outbox, name="notification_outbox"),
    path(
        "outbox/<int:message_id>/retry/",
        views.outbox_retry_view,
        name="notification_outbox_retry",
    ),
]

public_patterns: list[URLPattern | URLResolver] = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="notifications_unsubscribe"),
]
