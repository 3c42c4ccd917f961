"""Slack URLs: `org_patterns` under /o/<org>/settings/, `public_patterns` under /n/ (the
addresses configured in the Slack app, kept as they were when Slack lived in notifications)."""

from django.urls import URLPattern, URLResolver, path

from twoway.integrations.slack import views

org_patterns: list[URLPattern | URLResolver] = [
    path("slack/", views.slack_settings, name="slack_settings"),
    path("slack/install/", views.slack_install, name="slack_install"),
    path("slack/disconnect/", views.slack_disconnect, name="slack_disconnect"),
]

public_patterns: list[URLPattern | URLResolver] = [
    path("slack/oauth/", views.slack_oauth_callback, name="slack_oauth_callback"),
    path("slack/interactive/", views.slack_interactive, name="slack_interactive"),
    path("slack/commands/", views.slack_command, name="slack_command"),
]
