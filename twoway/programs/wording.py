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
        out.append(text)
    return out
