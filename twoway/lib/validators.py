"""Validators shared by the models of several apps."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def single_line(value: str) -> None:
    """Names go into email headers, calendar summaries and Slack titles: one line only.

    A line break there is at best a broken subject and at worst a header injection (the mail
    library refuses the message, after the action that sent it was saved)."""
    if any(c in value for c in "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"):
        raise ValidationError("Use a single line, without line breaks.", code="single_line")


def one_line(value: str) -> str:
    """`value` with every run of whitespace, line breaks included, made one space."""
    return " ".join(value.split())
