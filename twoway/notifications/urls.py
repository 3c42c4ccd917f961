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
    path("slack/", views.slack_settings, name="slack_settings"),
    path("slack/install/", views.slack_install, name="slack_install"),
    path("slack/disconnect/", views.slack_disconnect, name="slack_disconnect"),
]

public_patterns: list[URLPattern | URLResolver] = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="notifications_unsubscribe"),
    path("slack/oauth/", views.slack_oauth_callback, name="slack_oauth_callback"),
    path("slack/interactive/", views.slack_interactive, name="slack_interactive"),
    path("slack/commands/", views.slack_command, name="slack_command"),
]
