"""Messages the programs app sends (see twoway/notifications/kinds.py)."""

from twoway.notifications.kinds import register

INTRODUCTION = register(
    "introduction", "Introductions", "When you are matched with a peer.", order=10
)
REQUEST = register(
    "request", "Peer requests", "Requests you receive, and answers to yours.", order=20
)
PROGRAM_SUMMARY = register(
    "program_summary", "Program summary", "Weekly, for program managers.", order=140
)
