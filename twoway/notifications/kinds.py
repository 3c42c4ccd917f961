"""The kinds of message Twoway sends, each declared once by the app that sends it.

An app declares its kinds in its own `kinds.py` (found by autodiscovery when the notifications
app is ready) and passes the key to `notify(kind=…)`:

    from twoway.notifications.kinds import register

    register("request", "Peer requests", "Requests you receive, and answers to yours.")

The preferences page lists exactly the registered kinds, `notify()` refuses a kind that is not
registered, and the worker and the unsubscribe link read `can_turn_off` and `default_channel`
from here. tests/notifications/test_kinds.py checks that every kind passed to notify() anywhere
in the code is registered and that every registered kind is sent somewhere.

Some messages keep something else right rather than tell the person something: a calendar
invite or cancellation updates their calendar, the end of a partnership changes what they
are part of. Those are declared with `can_turn_off=False`: a person may move them from email
to Slack, but neither the preferences page nor a one-click unsubscribe link turns them off,
so a stray click can never leave a calendar silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

EMAIL = "email"
SLACK = "slack"
OFF = "off"


class UnknownKind(LookupError):
    """notify() was given a kind that no app registered: a programming error."""


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    help: str
    default_channel: str = EMAIL
    can_turn_off: bool = True
    # Order on the preferences page (lower first), then the label.
    order: int = 100
    # Sent only to a plain address that is nobody's account (an HR contact, a password reset):
    # nobody has preferences for it, so the preferences page does not list it.
    to_address: bool = False

    def choices(self) -> list[str]:
        """The channels a person may pick for this kind."""
        channels = [EMAIL, SLACK]
        return [*channels, OFF] if self.can_turn_off else channels


_registry: dict[str, Kind] = {}


def register(
    key: str,
    label: str,
    help: str,
    *,
    default_channel: str = EMAIL,
    can_turn_off: bool = True,
    order: int = 100,
    to_address: bool = False,
) -> str:
    """Declare a kind; returns its key so a module can keep it in a constant."""
    kind = Kind(key, label, help, default_channel, can_turn_off, order, to_address)
    if default_channel not in (EMAIL, SLACK):
        raise ValueError(f"kind {key}: unknown default channel {default_channel!r}")
    found = _registry.get(key)
    if found is not None and found != kind:
        raise ValueError(f"kind {key!r} is declared twice, differently: {found} and {kind}")
    _registry[key] = kind
    return key


def get(key: str) -> Kind:
    try:
        return _registry[key]
    except KeyError:
        raise UnknownKind(
            f"unknown notification kind {key!r}: declare it with "
            "twoway.notifications.kinds.register() in the sending app's kinds.py"
        ) from None


def find(key: str) -> Kind | None:
    """The kind, or None for a key nobody declares (an old outbox row)."""
    return _registry.get(key)


def all_kinds() -> list[Kind]:
    return sorted(_registry.values(), key=lambda k: (k.order, k.label))


def for_people() -> list[Kind]:
    """The kinds a person receives and manages on the preferences page."""
    return [k for k in all_kinds() if not k.to_address]


def kind_label(key: str) -> str:
    kind = _registry.get(key)
    return kind.label if kind else key.replace("_", " ").capitalize()


def can_turn_off(key: str) -> bool:
    kind = _registry.get(key)
    return kind.can_turn_off if kind else True
