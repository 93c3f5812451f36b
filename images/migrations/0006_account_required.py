"""Every row belongs to an account; a remote id is unique within its account only."""

import django.db.models.deletion
from django.db import migrations, models

OWNED = ("image", "quotasnapshot", "syncrun", "auditevent")


class Migration(migrations.Migration):
    dependencies = [("images", "0005_rows_to_settings_account")]

    operations = [
        *(
            migrations.AlterField(
                model_name=model,
                name="account",
                field=models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="+",
                    to="images.account",
                ),
            )
            for model in OWNED
        ),
        migrations.AlterField(
            model_name="image",
            name="remote_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AddConstraint(
            model_name="image",
            constraint=models.UniqueConstraint(
                fields=("account", "remote_id"), name="remote_id_per_account"
            ),
        ),
    ]
