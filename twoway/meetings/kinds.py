"""Messages the meetings app sends (see twoway/notifications/kinds.py).

Invites and cancellations carry the .ics that keeps a person's calendar right: they may go by
email or Slack, but they cannot be turned off (an unsubscribe click must not leave a calendar
silently wrong). On Slack the message says what changed; the calendar itself follows by email
invites or by the personal calendar feed.
"""

from twoway.notifications.kinds import register

CHECKIN_INVITE = register(
    "checkin_invite",
    "Calendar invites",
    "A check-in schedule is set or changed. By email they carry the invite that updates your "
    "calendar; on Slack only a note (your calendar feed keeps the calendar right there). "
    "They cannot be turned off.",
    can_turn_off=False,
    order=30,
)
CHECKIN_CANCEL = register(
    "checkin_cancel",
    "Calendar cancellations",
    "A check-in or a schedule is cancelled. By email they remove it from your calendar; on "
    "Slack only a note (your calendar feed keeps the calendar right there). "
    "They cannot be turned off.",
    can_turn_off=False,
    order=31,
)
CHECKIN_REMINDER = register(
    "checkin_reminder", "Check-in reminders", "Before each check-in.", order=40
)
DID_YOU_MEET = register(
    "did_you_meet", "“Did you meet?”", "After a check-in time has passed.", order=50
)
NUDGE = register("nudge", "Gentle nudges", "When a pair has not met for a while.", order=60)
PROGRAM_SUMMARY = register(
    "program_summary", "Program summary", "Weekly, for program managers.", order=140
)
