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
