"""Contabo accounts and memberships; an `account` column (nullable for now) on the rows that
belong to one. 0005 fills it, 0006 makes it required (three migrations, so PostgreSQL never
alters a table with row updates pending in the same transaction)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OWNED = ("image", "quotasnapshot", "syncrun", "auditevent")


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0003_search_trigram_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=64, unique=True)),
                (
                    "from_settings",
                    models.BooleanField(
                        default=False,
                        editable=False,
                        help_text="Endpoints and credentials come from the CONTABO_* settings.",
                    ),
                ),
                (
                    "api_url",
                    models.URLField(
                        blank=True, default="https://api.contabo.com", verbose_name="API URL"
                    ),
                ),
                (
                    "auth_url",
                    models.URLField(
                        blank=True,
                        default="https://auth.contabo.com/auth/realms/contabo/protocol/openid-connect/token",
                        max_length=500,
                        verbose_name="token URL",
                    ),
                ),
                (
                    "client_id",
                    models.CharField(blank=True, max_length=255, verbose_name="client ID"),
                ),
                ("api_user", models.CharField(blank=True, max_length=255, verbose_name="API user")),
                (
                    "open_to_all",
                    models.BooleanField(
                        default=False,
                        help_text="Every user sees this account with their global role (viewers "
                        "or managers group); otherwise only its members and superusers do.",
                        verbose_name="open to every user",
                    ),
                ),
                ("client_secret_encrypted", models.TextField(blank=True, editable=False)),
                ("api_password_encrypted", models.TextField(blank=True, editable=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-from_settings", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("from_settings", True)),
                        fields=("from_settings",),
                        name="one_account_from_settings",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AccountMembership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[("viewer", "Viewer"), ("manager", "Manager")],
                        default="viewer",
                        max_length=8,
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="images.account",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="account_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "user"), name="one_membership_per_account"
                    )
                ],
            },
        ),
        *(
            migrations.AddField(
                model_name=model,
                name="account",
                field=models.ForeignKey(
                    null=True,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="+",
                    to="images.account",
                ),
            )
            for model in OWNED
        ),
    ]
