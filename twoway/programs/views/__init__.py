"""The programs pages, one module per area; urls.py finds every view here."""

from twoway.programs.views.blocks import (
    block_add,
    block_remove,
    blocks,
)
from twoway.programs.views.enrolment import (
    program_enrol,
    program_rematch,
    program_withdraw,
)
from twoway.programs.views.programs import (
    program_detail,
    program_edit,
    program_enrolments,
    program_new,
    program_status,
    programs_list,
)
from twoway.programs.views.rounds import (
    round_adjust,
    round_create,
    round_detail,
    round_discard,
    round_publish,
)
from twoway.programs.views.selfmatch import (
    my_partnerships,
    program_peers,
    request_new,
    request_respond,
    request_withdraw,
    requests,
)

__all__ = [
    "block_add",
    "block_remove",
    "blocks",
    "my_partnerships",
    "program_detail",
    "program_edit",
    "program_enrol",
    "program_enrolments",
    "program_new",
    "program_peers",
    "program_rematch",
    "program_status",
    "program_withdraw",
    "programs_list",
    "request_new",
    "request_respond",
    "request_withdraw",
    "requests",
    "round_adjust",
    "round_create",
    "round_detail",
    "round_discard",
    "round_publish",
]
