"""Messages the goals app sends (see twoway/notifications/kinds.py)."""

from twoway.notifications.kinds import register

GOALS = register("goals", "Goal reminders", "When your partnership has no goals yet.", order=70)
