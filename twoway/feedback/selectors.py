from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from twoway.feedback.models import FeedbackEntry, FeedbackRound, FitCheck, PulseResponse
from twoway.people.models import Person
from twoway.programs.models import Partnership


@dataclass
class FeedbackRoundView:
    round: FeedbackRound
    revealed: bool
    mine: list[FeedbackEntry] = field(default_factory=list)
    about_me: list[FeedbackEntry] = field(default_factory=list)
    waiting_for: list[str] = field(default_factory=list)
    others_written: int = 0


def is_revealed(feedback_round: FeedbackRound, member_count: int, written: int) -> bool:
    return written >= member_count * (member_count - 1) or feedback_round.deadline <= timezone.now()


def feedback_for(*, partnership: Partnership, viewer: Person) -> list[FeedbackRoundView]:
    """Every round, as `viewer` may see it: what they wrote, and what others wrote about them
    only once the round is revealed (everyone wrote, or the deadline passed)."""
    members = {m.person_id: m.person for m in partnership.members.all()}
    n = len(members)
    rounds = list(FeedbackRound.objects.filter(partnership=partnership).prefetch_related("entries"))
    views: list[FeedbackRoundView] = []
    for r in rounds:
        entries = list(r.entries.all())
        revealed = is_revealed(r, n, len(entries))
        authors = {e.author_id for e in entries}
        view = FeedbackRoundView(
            round=r,
            revealed=revealed,
            mine=[e for e in entries if e.author_id == viewer.pk],
            about_me=[e for e in entries if e.subject_id == viewer.pk] if revealed else [],
            waiting_for=[p.name for pid, p in members.items() if pid not in authors],
            others_written=len([e for e in entries if e.author_id != viewer.pk]),
        )
        for e in view.about_me:
            e.author = members.get(e.author_id, e.author)
        views.append(view)
    return views


def my_fit_check(*, partnership: Partnership, person: Person) -> FitCheck | None:
    return FitCheck.objects.filter(partnership=partnership, person=person).first()


def my_pulses(person: Person) -> list[PulseResponse]:
    """A person's own pulse answers, oldest first. Nobody else's view calls this."""
    return list(PulseResponse.objects.filter(person=person).order_by("created", "id"))


PULSE_WORDING = {
    "belonging": "I feel I belong here",
    "stress": "I feel stressed by work",
    "confidence": "I feel confident in my work",
    "energy": "I have energy for my work",
}
SCALE = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither",
    4: "Agree",
    5: "Strongly agree",
}
# Each line differs in dash and marker shape too, so the chart reads without colour.
SERIES_STYLE = {
    "belonging": ("#1f5f8b", "", "circle"),
    "stress": ("#a4262c", "6 4", "square"),
    "confidence": ("#1d5a33", "2 3", "triangle"),
    "energy": ("#6b4a00", "10 3 2 3", "diamond"),
}


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 4.5:.1f} {x - 4:.1f},{y + 3:.1f} '
            f'{x + 4:.1f},{y + 3:.1f}" fill="{colour}"/>'
        )
    return (
        f'<polygon points="{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},{y + 4.5:.1f} '
        f'{x - 4.5:.1f},{y:.1f}" fill="{colour}"/>'
    )


def pulse_chart(pulses: list[PulseResponse], tz: dt.tzinfo) -> SafeString:
    """A small inline SVG line chart of the four items over time (server-side, no JS)."""
    if len(pulses) < 2:
        return mark_safe("")
    width, height, left, right, top, bottom = 640, 220, 40, 130, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    t0 = pulses[0].created.timestamp()
    span = max(pulses[-1].created.timestamp() - t0, 1.0)

    def x(p: PulseResponse) -> float:
        return left + plot_w * (p.created.timestamp() - t0) / span

    def y(v: int) -> float:
        return top + plot_h * (5 - v) / 4

    parts = [
        f'<svg class="pulse-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        'aria-labelledby="pulse-title pulse-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="pulse-title">My wellbeing pulse over time</title>',
        '<desc id="pulse-desc">Four lines from 1 (strongly disagree) to 5 (strongly agree); '
        "the table below has the same numbers.</desc>",
    ]
    for v in range(1, 6):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#d9dee5"/>'
            f'<text x="{left - 8}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v}</text>'
        )
    for p in (pulses[0], pulses[-1]):
        label = p.created.astimezone(tz).strftime("%-d %b %Y")
        anchor = "start" if p is pulses[0] else "end"
        parts.append(
            f'<text x="{x(p):.1f}" y="{height - 8}" text-anchor="{anchor}" '
            f'font-size="11">{label}</text>'
        )
    for i, (item, (colour, dash, shape)) in enumerate(SERIES_STYLE.items()):
        points = " ".join(f"{x(p):.1f},{y(getattr(p, item)):.1f}" for p in pulses)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"'
            f"{dash_attr}/>"
        )
        parts.extend(_marker(shape, x(p), y(getattr(p, item)), colour) for p in pulses)
        ly = top + 14 + i * 22
        lx = left + plot_w + 14
        parts.append(
            f'<line x1="{lx}" x2="{lx + 22}" y1="{ly}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>{_marker(shape, lx + 11, ly, colour)}'
            f'<text x="{lx + 28}" y="{ly + 4}" font-size="12">{item.capitalize()}</text>'
        )
    parts.append("</svg>")
    # Only numbers and fixed labels are interpolated above; nothing a person typed.
    return mark_safe("".join(parts))
