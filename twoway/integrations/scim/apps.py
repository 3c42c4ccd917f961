from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "twoway.integrations.scim"
    label = "scim"
    verbose_name = "SCIM provisioning"
