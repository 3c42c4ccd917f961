from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "twoway.goals"
    label = "goals"
