"""Messages the partnership space sends (see twoway/notifications/kinds.py)."""

from twoway.notifications.kinds import register

REFLECTION = register(
    "reflection", "Closing reflection", "At the end of a partnership's term.", order=100
)
PARTNERSHIP_ENDED = register(
    "partnership_ended",
    "Partnership ended",
    "When your partner or the program team ends a partnership (its check-ins leave your "
    "calendar). You cannot turn this off, only choose where it arrives.",
    can_turn_off=False,
    order=110,
)
DIGEST = register(
    "digest", "Weekly digest", "A Monday summary of your week (turn it on below).", order=130
)
