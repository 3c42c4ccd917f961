from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    name = "twoway.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Each app declares the kinds of message it sends in its own kinds.py
        # (twoway/notifications/kinds.py); load them all before anything sends or lists them.
        autodiscover_modules("kinds")
