"""SlackWorkspace and SlackIdentity move from notifications to this package, tables and data as
they are: only Django's record of which app owns them changes (notifications 0004 forgets them
on its side)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("people", "0001_initial"),
        ("notifications", "0003_outbox_recipient_email"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="SlackWorkspace",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("team_id", models.CharField(max_length=40, unique=True)),
                        ("team_name", models.CharField(blank=True, max_length=200)),
                        ("bot_user_id", models.CharField(blank=True, max_length=40)),
                        ("bot_token_encrypted", models.TextField()),
                        ("installed_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "installed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="slack_workspace",
                                to="accounts.organization",
                            ),
                        ),
                    ],
                    options={"db_table": "notifications_slackworkspace"},
                ),
                migrations.CreateModel(
                    name="SlackIdentity",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("slack_user_id", models.CharField(max_length=40)),
                        ("linked_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "person",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="slack_identity",
                                to="people.person",
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="identities",
                                to="slack.slackworkspace",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "notifications_slackidentity",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("workspace", "slack_user_id"),
                                name="one_person_per_slack_user",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
