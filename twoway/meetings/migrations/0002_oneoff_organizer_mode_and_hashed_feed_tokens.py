import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    """Existing feed addresses keep working: their tokens are stored as hashes from now on."""
    CalendarFeed = apps.get_model("meetings", "CalendarFeed")
    for feed in CalendarFeed.objects.all():
        feed.token_hash = hashlib.sha256(feed.token.encode()).hexdigest()
        feed.save(update_fields=["token_hash"])


def organizers_of_oneoffs(apps, schema_editor):
    """A one-off was planned by the person who set it (logged_by until now)."""
    CheckIn = apps.get_model("meetings", "CheckIn")
    CheckIn.objects.filter(series__isnull=True, kind="scheduled").update(
        organizer=models.F("logged_by")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_initial"),
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="organizer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="people.person",
            ),
        ),
        migrations.AddField(
            model_name="checkin",
            name="mode",
            field=models.CharField(
                blank=True,
                choices=[("in_person", "In person"), ("video", "Video call"), ("phone", "Phone")],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="checkin",
            name="location",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="checkin",
            name="updated",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.RunPython(organizers_of_oneoffs, migrations.RunPython.noop),
        migrations.RemoveField(model_name="calendarfeed", name="token"),
        migrations.AlterField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(max_length=64, unique=True),
        ),
    ]
