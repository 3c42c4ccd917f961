from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from twoway.accounts.models import Membership, User
from twoway.people.models import (
    AvailabilityWindow,
    Department,
    Person,
    PersonSkill,
    Skill,
    SkillAlias,
    Team,
)
from twoway.people.services import membership_add, people_joined
from twoway.people.vocabulary import skill_key


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    """Here rather than in accounts: adding a member also gives them their employee record."""

    list_display = ["user", "organization", "role", "created"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "user__name", "organization__name"]
    autocomplete_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        actor: User = request.user  # type: ignore[assignment]
        added = membership_add(
            organization=obj.organization,
            user=obj.user,
            role=obj.role,
            actor=actor,
            source="admin",
        )
        # The admin goes on with `obj` (its log entry, the redirect): make it the saved row.
        obj.__dict__.update(added.__dict__)


class PersonSkillInline(admin.TabularInline[PersonSkill, Person]):
    model = PersonSkill
    extra = 0
    autocomplete_fields = ["skill"]


class AvailabilityInline(admin.TabularInline[AvailabilityWindow, Person]):
    model = AvailabilityWindow
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    list_display = [
        "name",
        "email",
        "organization",
        "title",
        "level",
        "department",
        "team",
        "is_active",
    ]
    list_filter = [
        "organization",
        "is_active",
        "level",
        "meeting_preference",
        "department",
        "location",
    ]
    search_fields = ["name", "email", "title"]
    # Raw ids: a select of every manager in a 50,000-person organization would not render.
    raw_id_fields = ["manager", "user"]
    autocomplete_fields = ["department", "team"]
    list_select_related = ["organization", "department", "team"]
    inlines = [PersonSkillInline, AvailabilityInline]

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            people_joined(organization=obj.organization, people=[obj])

    date_hierarchy = "hire_date"


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ["name", "key", "category", "organization"]
    list_filter = ["category", "organization"]
    search_fields = ["name", "key"]


@admin.register(SkillAlias)
class SkillAliasAdmin(admin.ModelAdmin[SkillAlias]):
    list_display = ["name", "skill", "organization", "created"]
    list_filter = ["organization"]
    search_fields = ["name", "key", "skill__name"]
    list_select_related = ["skill", "organization"]
    readonly_fields = ["key"]

    def save_model(self, request: Any, obj: SkillAlias, form: Any, change: bool) -> None:
        obj.key = skill_key(obj.name)
        super().save_model(request, obj, form, change)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["name", "organization"]
    list_filter = ["organization"]
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "department", "organization"]
    list_filter = ["organization", "department"]
    search_fields = ["name"]
