# One spelling for one idea: the model and its related names become "enrolment", as the pages
# say. RenameModel keeps every row (the table is renamed, not recreated).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("programs", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="enrollment", name="one_enrollment_per_program"),
        migrations.RenameModel(old_name="Enrollment", new_name="Enrolment"),
        migrations.AlterField(
            model_name="enrolment",
            name="person",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="enrolments",
                to="people.person",
            ),
        ),
        migrations.AlterField(
            model_name="enrolment",
            name="program",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="enrolments",
                to="programs.program",
            ),
        ),
        migrations.AddConstraint(
            model_name="enrolment",
            constraint=models.UniqueConstraint(
                fields=("program", "person"), name="one_enrolment_per_program"
            ),
        ),
    ]
