from django.contrib import admin

from twoway.people.models import AvailabilityWindow, Department, Person, PersonSkill, Skill, Team


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
    date_hierarchy = "hire_date"


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ["name", "category", "organization"]
    list_filter = ["category", "organization"]
    search_fields = ["name"]


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
