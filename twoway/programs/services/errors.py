"""Errors the program services raise (see `twoway.lib.errors`)."""

from __future__ import annotations

from twoway.lib.errors import Conflict, Invalid


class ProgramError(Invalid):
    """A rule of the program stops this action; the message is for the person who tried."""


class PartnershipClosed(Conflict):
    """The partnership has ended; it can no longer change."""
