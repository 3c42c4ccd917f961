"""The kinds of message a person can route (email / Slack / off) one by one.

`kind` on an outbox row is free text; these are the ones the preferences page lists. A kind not
listed here still works: its channel comes from the row, and its unsubscribe link still turns
that kind off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    help: str


KINDS: dict[str, Kind] = {
    k.key: k
    for k in [
        Kind("introduction", "Introductions", "When you are matched with a peer."),
        Kind("request", "Peer requests", "Requests you receive, and answers to yours."),
        Kind(
            "checkin_invite",
            "Calendar invites",
            "When check-ins are set up, changed or moved (with the calendar update).",
        ),
        Kind(
            "checkin_cancel",
            "Calendar cancellations",
            "When a check-in or a schedule is cancelled (with the calendar update).",
        ),
        Kind("checkin_reminder", "Check-in reminders", "Before each check-in."),
        Kind("did_you_meet", "“Did you meet?”", "After a check-in time has passed."),
        Kind("nudge", "Gentle nudges", "When a pair has not met for a while."),
        Kind("goals", "Goal reminders", "When your partnership has no goals yet."),
        Kind("fit_check", "Fit check", "After your first check-in: is this pair working?"),
        Kind("feedback", "Feedback", "When feedback is due or your partner has written theirs."),
        Kind("reflection", "Closing reflection", "At the end of a partnership's term."),
        Kind("partnership", "Partnership updates", "Changes to your partnerships."),
        Kind(
            "partnership_ended",
            "Partnership ended",
            "When your partner ends a partnership (its check-ins leave your calendar).",
        ),
        Kind("digest", "Weekly digest", "A Monday summary of your week (turn it on below)."),
        Kind("program_summary", "Program summary", "Weekly, for program managers."),
        Kind(
            "admin_notice",
            "Admin notices",
            "For org admins: changes to where a program's HR escalations go.",
        ),
        Kind("invitation", "Invitations", "Your invitation to sign in to Twoway."),
    ]
}


def kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return kind.label if kind else key.replace("_", " ").capitalize()
