from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "twoway.programs"
    label = "programs"

    def ready(self) -> None:
        from twoway.programs import onboarding  # noqa: F401  (connects the new-hire signal)
