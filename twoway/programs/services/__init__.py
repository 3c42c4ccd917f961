"""Everything that changes programs, enrolments, requests and partnerships, one module per area.

Each function is keyword-only, runs in one transaction, writes an audit row when a program
manager acts, and queues its messages with notify() in the same transaction. Callers import from
this package; the modules are how the code is kept, not part of the interface.
"""

from twoway.programs.services.blocks import block_add, block_remove
from twoway.programs.services.enrolment import (
    enrolment_save,
    enrolment_set_rematch,
    enrolment_withdraw,
)
from twoway.programs.services.errors import PartnershipClosed, ProgramError
from twoway.programs.services.partnerships import (
    RoundGroup,
    partners_in_program,
    partnership_create,
    partnership_end,
    partnership_end_by_admin,
    partnership_introduce,
    partnerships_start_for_round,
)
from twoway.programs.services.programs import program_create, program_set_status, program_update
from twoway.programs.services.requests import (
    request_accept,
    request_decline,
    request_expire,
    request_send,
    request_withdraw,
    requests_close_for_closed_program,
    requests_close_for_full,
)

__all__ = [
    "PartnershipClosed",
    "ProgramError",
    "RoundGroup",
    "block_add",
    "block_remove",
    "enrolment_save",
    "enrolment_set_rematch",
    "enrolment_withdraw",
    "partners_in_program",
    "partnership_create",
    "partnership_end",
    "partnership_end_by_admin",
    "partnership_introduce",
    "partnerships_start_for_round",
    "program_create",
    "program_set_status",
    "program_update",
    "request_accept",
    "request_decline",
    "request_expire",
    "request_send",
    "request_withdraw",
    "requests_close_for_closed_program",
    "requests_close_for_full",
]
