from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "twoway.meetings"
    label = "meetings"

    def ready(self) -> None:
        # Registers the program page's "stalled pairs" (programs never imports us).
        from twoway.meetings import sections  # noqa: F401
