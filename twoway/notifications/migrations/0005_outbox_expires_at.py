import datetime as dt

from django.db import migrations, models
from django.db.models import Q

# Reminders the previous version queued carry no expiry. Give those still waiting one day from
# when they were queued: after a long upgrade or outage, nobody is reminded of a check-in that
# is over. Other messages (requests, introductions, calendar invites) keep no expiry.
REMINDER_KINDS = [
    "checkin_reminder",
    "did_you_meet",
    "nudge",
    "goals",
    "fit_check",
    "feedback",
    "reflection",
    "digest",
    "program_summary",
]
GRACE = dt.timedelta(days=1)


def expire_queued_reminders(apps, schema_editor):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    waiting = OutboxMessage.objects.filter(status="pending", expires_at__isnull=True).filter(
        Q(kind__in=REMINDER_KINDS) | Q(template="reminder_request")
    )
    for pk, created in waiting.values_list("pk", "created").iterator():
        OutboxMessage.objects.filter(pk=pk).update(expires_at=created + GRACE)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_slack_models_to_integration"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(expire_queued_reminders, migrations.RunPython.noop),
    ]
