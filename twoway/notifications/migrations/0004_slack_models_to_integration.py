"""SlackWorkspace and SlackIdentity now belong to twoway.integrations.slack (its 0001 takes them
over, same tables): forget them here without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_outbox_recipient_email"),
        ("slack", "0001_move_from_notifications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="SlackIdentity"),
                migrations.DeleteModel(name="SlackWorkspace"),
            ],
        ),
    ]
