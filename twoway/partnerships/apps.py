from django.apps import AppConfig


class PartnershipsConfig(AppConfig):
    name = "twoway.partnerships"
    label = "partnerships"
