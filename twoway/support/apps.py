from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "twoway.support"
    label = "support"

    def ready(self) -> None:
        # Registers the program page's "pairs that feel uncertain" (programs never imports us).
        from twoway.support import sections  # noqa: F401
