"""Match reasons addressed to one reader: "You can help Ben with SQL" rather than "Ana can help
Ben with SQL" in Ana's own email or page. The engine's reasons name both people; only the
reader's name in the sentence shapes the engine writes is turned into "you"."""

from __future__ import annotations

from collections.abc import Iterable


def reasons_for(reasons: Iterable[str], reader: str) -> list[str]:
    out = []
    for reason in reasons:
        text = reason
        if text.startswith(f"{reader} can help "):
            text = "You can help " + text[len(f"{reader} can help ") :]
        if text.startswith(f"{reader} asked for "):
            text = "You asked for " + text[len(f"{reader} asked for ") :]
        text = text.replace(f"; {reader} can help ", "; you can help ")
        text = text.replace(f" can help {reader} with ", " can help you with ")
        if text.endswith(f" asked for {reader}"):
            text = text[: -len(reader)] + "you"
        # Levels: "Ana is one step ahead (L5 and L4)", "level not known for Ana".
        if text.startswith(f"{reader} is ") and " ahead (" in text:
            text = "You are " + text[len(f"{reader} is ") :]
        text = text.replace(f", though {reader} is the mentor", ", though you are the mentor")
        if text == f"level not known for {reader}":
            text = "your level is not known"
        # "no skill exchange between Ana and Ben: matched on …"
        text = text.replace(f"between {reader} and ", "between you and ")
        text = text.replace(f" and {reader}: matched on", " and you: matched on")
        out.append(text)
    return out


# Why a round left someone without a partner, said to them (the engine's codes, see
# twoway/matching/model.py UNMATCHED_REASONS): what happened, never who was chosen instead.
LEFT_OUT: dict[str, str] = {
    "no_feasible_partner": (
        "no one else waiting could be paired with you under the program's rules (another team, "
        "outside your reporting line, a close level, someone you have not been paired with "
        "before)"
    ),
    "odd_one_out": "an odd number of people were waiting, and this program pairs people two by two",
    "no_trio_fit": (
        "an odd number of people were waiting, and no pair could take a third person within "
        "the program's rules"
    ),
    "not_chosen": (
        "the people you could have been paired with were each an even better fit for someone "
        "else this time"
    ),
    "role_not_in_mode": "your role does not take part in this kind of round",
    "capacity_full": "every mentor who fits you already has as many mentees as they can take",
    "no_feasible_mentor": "no mentor waiting fits you under the program's rules yet",
    "mentor_unused": "no mentee was matched with you this time",
    "level_gap": "no one waiting was within the program's level range of you",
    "no_mentor_in_level_range": "no mentor waiting was the program's number of steps ahead of you",
}


def left_out_because(code: str) -> str:
    return LEFT_OUT.get(code, "no one waiting fitted you under the program's rules this time")
