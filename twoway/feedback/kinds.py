"""Messages the feedback app sends (see twoway/notifications/kinds.py)."""

from twoway.notifications.kinds import register

FIT_CHECK = register(
    "fit_check", "Fit check", "After your first check-in: is this pair working?", order=80
)
FEEDBACK = register(
    "feedback", "Feedback", "When feedback is due before a round's deadline.", order=90
)
