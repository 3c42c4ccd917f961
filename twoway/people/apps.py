from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "twoway.people"
    label = "people"
