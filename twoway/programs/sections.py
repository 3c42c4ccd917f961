"""Parts of a program's page for its managers that apps above programs provide.

The partnership space (check-ins, support, …) knows things the program page shows, but programs
sits below those apps and never imports them: each registers a section here when Django starts
(in its AppConfig.ready), and the program page asks every section for its part of the context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from twoway.people.models import Person
from twoway.programs.models import Program


class Section(Protocol):
    def __call__(
        self, *, program: Program, viewer: Person, role: str, query: Mapping[str, str]
    ) -> dict[str, Any]: ...


SECTIONS: list[Section] = []


def program_section(section: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Register `section(program=, viewer=, role=, query=)`; it returns context for the page.

    `query` is the page's query string: a section that lists pairs shows one page of them
    (its own `…_page` parameter), so the page costs the same with ten pairs or ten thousand."""
    SECTIONS.append(section)
    return section


def program_sections(
    *, program: Program, viewer: Person, role: str, query: Mapping[str, str]
) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for section in SECTIONS:
        context.update(section(program=program, viewer=viewer, role=role, query=query))
    return context
