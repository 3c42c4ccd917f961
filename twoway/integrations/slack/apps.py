from django.apps import AppConfig


class SlackConfig(AppConfig):
    name = "twoway.integrations.slack"
    label = "slack"
    verbose_name = "Slack"
