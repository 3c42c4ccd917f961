from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "twoway.programs"
    label = "programs"

    def ready(self) -> None:
        from twoway.people.services import on_people_joined, on_skills_merged
        from twoway.programs.onboarding import onboarding_start_safely
        from twoway.programs.services.enrolment import enrolments_merge_skill
        from twoway.programs.tally import connect_signals

        connect_signals()

        # New people (an admin, a sign-in, an import) get onboarding buddies, once per batch.
        on_people_joined(onboarding_start_safely)
        # Intakes name skills by id: a merged skill's id becomes the survivor's.
        on_skills_merged(enrolments_merge_skill)
