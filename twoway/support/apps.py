from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "twoway.support"
    label = "support"
