from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "twoway.programs"
    label = "programs"

    def ready(self) -> None:
        from twoway.people.services import on_people_joined
        from twoway.programs.onboarding import onboarding_start_safely

        # New people (an admin, a sign-in, an import) get onboarding buddies, once per batch.
        on_people_joined(onboarding_start_safely)
