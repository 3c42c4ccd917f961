from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "twoway.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from twoway.accounts.lockout import on_locked_out

        user_locked_out.connect(on_locked_out, dispatch_uid="twoway.accounts.on_locked_out")
