"""Account emails (see twoway/notifications/kinds.py). The password-reset email is sent by
twoway/integrations/email/password_reset.py, which is not an installed app (autodiscovery does
not look there), and accounts sits below notifications; so its kind is declared here, in the
app that wires the sign-in pages."""

from twoway.notifications.kinds import register

PASSWORD_RESET = register(
    "password_reset",
    "Password reset",
    "The link to choose a new password, to the address it was asked for.",
    to_address=True,
)
