"""Errors the program services raise."""

from __future__ import annotations


class ProgramError(Exception):
    """A rule of the program stops this action; the message is for the person who tried."""


class PartnershipClosed(Exception):
    pass
