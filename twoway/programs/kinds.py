"""Messages the programs app sends (see twoway/notifications/kinds.py)."""

from twoway.notifications.kinds import register

INTRODUCTION = register(
    "introduction", "Introductions", "When you are matched with a peer.", order=10
)
REQUEST = register(
    "request", "Peer requests", "Requests you receive, and answers to yours.", order=20
)
ADMIN_NOTICE = register(
    "admin_notice",
    "Admin notices",
    "For org admins: changes to where a program's HR escalations go.",
    order=150,
)
LEFT_OUT = register(
    "round_left_out",
    "Round results",
    "When a matching round leaves you without a partner: why, and what happens next.",
    order=15,
)
