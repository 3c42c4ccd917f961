"""Messages the directory sends (see twoway/notifications/kinds.py)."""

from twoway.notifications.kinds import register

INVITATION = register("invitation", "Invitations", "Your invitation to sign in to Twoway.", order=5)
PARTNER_LEFT = register(
    "partnership",
    "Partnership updates",
    "When a partner leaves the organization.",
    order=120,
)
