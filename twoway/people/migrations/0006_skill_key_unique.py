from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0005_skill_key_and_aliases")]

    operations = [
        migrations.RemoveConstraint(model_name="skill", name="skill_name_per_org"),
        migrations.AddConstraint(
            model_name="skill",
            constraint=models.UniqueConstraint(
                fields=("organization", "key"), name="skill_key_per_org"
            ),
        ),
    ]
