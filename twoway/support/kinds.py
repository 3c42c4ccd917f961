"""Messages the support app sends (see twoway/notifications/kinds.py)."""

from twoway.notifications.kinds import register

HR_REQUEST = register(
    "hr_request",
    "HR help requests",
    "A participant's own message to their program's HR contact, with their consent.",
    to_address=True,
)
