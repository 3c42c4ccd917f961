from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "twoway.integrations.sso"
    label = "sso"
    verbose_name = "Single sign-on"
