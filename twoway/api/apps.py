from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "twoway.api"
    label = "api"
    verbose_name = "Public API"
