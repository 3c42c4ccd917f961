"""Skills get a folded key and aliases; skills that differ only in case or spacing become one.

The survivor of a group is the skill most people hold (the oldest on a tie); each link to a
duplicate moves to it, and where the person already held the survivor in that direction the
stronger strength stays. Programs' intakes name skills by id, so they are rewritten the same way.
The unique key comes in the next migration: PostgreSQL refuses to alter a table with the
deletes of this one still pending.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from twoway.people.vocabulary import skill_key


def merge_spellings(apps, schema_editor):
    Skill = apps.get_model("people", "Skill")
    PersonSkill = apps.get_model("people", "PersonSkill")
    Enrolment = apps.get_model("programs", "Enrolment")
    groups: dict[tuple[int, str], list[int]] = {}
    for skill in Skill.objects.order_by("pk"):
        skill.key = skill_key(skill.name)
        skill.save(update_fields=["key"])
        groups.setdefault((skill.organization_id, skill.key), []).append(skill.pk)
    replaced: dict[int, int] = {}
    for ids in groups.values():
        if len(ids) < 2:
            continue
        held = {pk: PersonSkill.objects.filter(skill_id=pk).count() for pk in ids}
        survivor = max(ids, key=lambda pk: (held[pk], -pk))
        for pk in ids:
            if pk != survivor:
                replaced[pk] = survivor
    if not replaced:
        return
    for link in PersonSkill.objects.filter(skill_id__in=list(replaced)).order_by("pk"):
        target = replaced[link.skill_id]
        kept = PersonSkill.objects.filter(
            person_id=link.person_id, skill_id=target, direction=link.direction
        ).first()
        if kept is None:
            link.skill_id = target
            link.save(update_fields=["skill"])
        else:
            if link.strength > kept.strength:
                kept.strength = link.strength
                kept.save(update_fields=["strength"])
            link.delete()
    for enrolment in Enrolment.objects.all().iterator():
        changed = False
        for field in ("offers", "seeks"):
            chosen = getattr(enrolment, field) or {}
            out: dict[str, int] = {}
            for key, strength in chosen.items():
                pk = replaced.get(int(key), int(key))
                out[str(pk)] = max(int(strength), out.get(str(pk), 0))
            if out != chosen:
                setattr(enrolment, field, out)
                changed = True
        if changed:
            enrolment.save(update_fields=["offers", "seeks"])
    Skill.objects.filter(pk__in=list(replaced)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("people", "0004_merge"),
        # The intakes rewritten above.
        ("programs", "0005_encrypt_private_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="skill",
            name="key",
            field=models.CharField(default="", editable=False, max_length=100),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="SkillAlias",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=100)),
                ("name", models.CharField(help_text="The name as it was written.", max_length=100)),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="skill_aliases",
                        to="accounts.organization",
                    ),
                ),
                (
                    "skill",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="aliases",
                        to="people.skill",
                    ),
                ),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.AddConstraint(
            model_name="skillalias",
            constraint=models.UniqueConstraint(
                fields=("organization", "key"), name="skill_alias_key_per_org"
            ),
        ),
        migrations.RunPython(merge_spellings, migrations.RunPython.noop),
    ]
