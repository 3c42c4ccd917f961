from django.contrib import admin

from twoway.programs.models import Enrolment, MatchRound, Partnership, PartnershipMember, Program


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = ["name", "organization", "kind", "status", "matching_mode", "created"]
    list_filter = ["organization", "kind", "status", "matching_mode"]
    search_fields = ["name"]
    raw_id_fields = ["invitees", "created_by"]
    filter_horizontal = ["eligible_departments"]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin[Enrolment]):
    list_display = ["person", "program", "status", "role", "capacity", "snoozed_until", "created"]
    list_filter = ["status", "role", "program__organization"]
    search_fields = ["person__name", "person__email", "program__name"]
    raw_id_fields = ["person", "program"]
    list_select_related = ["person", "program"]


@admin.register(MatchRound)
class MatchRoundAdmin(admin.ModelAdmin[MatchRound]):
    """Read-only: a round is a record of what the engine proposed and who published it."""

    list_display = ["pk", "program", "status", "progress", "created", "published_at"]
    list_filter = ["status", "program__organization"]
    readonly_fields = [f.name for f in MatchRound._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


class MemberInline(admin.TabularInline[PartnershipMember, Partnership]):
    model = PartnershipMember
    # The private reason for ending and the fit rating belong to the member: never shown here.
    fields = ["person", "role", "joined"]
    readonly_fields = ["person", "role", "joined"]
    extra = 0
    can_delete = False


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin[Partnership]):
    list_display = ["pk", "program", "status", "source", "started_on", "ends_on", "ended_at"]
    list_filter = ["status", "source", "program__organization"]
    search_fields = ["members__person__name", "program__name"]
    fields = [
        "organization",
        "program",
        "status",
        "source",
        "round",
        "score",
        "reasons",
        "started_on",
        "ends_on",
        "ended_at",
        "ended_by",
    ]
    readonly_fields = ["organization", "program", "round", "score", "reasons", "ended_by"]
    inlines = [MemberInline]
    list_select_related = ["program"]
