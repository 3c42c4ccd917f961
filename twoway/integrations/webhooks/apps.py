from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "twoway.integrations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from twoway.integrations.webhooks.services import webhooks_emit, webhooks_emit_many
        from twoway.lib.events import event_listen

        event_listen(webhooks_emit, many=webhooks_emit_many)
