"""Variants: every document gets one, its original (key "", region "unspecified", no language,
no collection), holding all its versions and provisions. Record IDs do not move: provision IDs
are primary keys, and a version's public ID names a variant only when its key is not ""."""

import django.db.models.deletion
from django.db import migrations, models


def original_variants(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO provisions_variant
                (document_id, key, region, language, collection, latest_version_id,
                 created_at, updated_at)
            SELECT id, '', 'unspecified', '', '', latest_version_id, now(), now()
            FROM provisions_document
            """
        )
        cursor.execute(
            """
            UPDATE provisions_version AS v SET variant_id = r.id
            FROM provisions_variant AS r WHERE r.document_id = v.document_id
            """
        )
        cursor.execute(
            """
            UPDATE provisions_provision AS p SET variant_id = r.id
            FROM provisions_variant AS r WHERE r.document_id = p.document_id
            """
        )


class Migration(migrations.Migration):
    dependencies = [
        ("provisions", "0010_span_parent_position"),
    ]

    operations = [
        migrations.CreateModel(
            name="Variant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(blank=True, max_length=40)),
                (
                    "region",
                    models.CharField(
                        default="unspecified",
                        help_text="Jurisdiction or region: EU, US, global…",
                        max_length=40,
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        blank=True, help_text="e.g. en; blank: unknown", max_length=20
                    ),
                ),
                (
                    "collection",
                    models.CharField(
                        blank=True,
                        help_text="The source collection it was first read from",
                        max_length=200,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="variants",
                        to="provisions.document",
                    ),
                ),
                (
                    "latest_version",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="provisions.version",
                    ),
                ),
            ],
            options={
                "ordering": ["document", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("document", "key"), name="variant_unique_key")
                ],
            },
        ),
        migrations.AddField(
            model_name="version",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="versions",
                to="provisions.variant",
            ),
        ),
        migrations.AddField(
            model_name="version",
            name="variant_key",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="provision",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="provisions",
                to="provisions.variant",
            ),
        ),
        migrations.RunPython(original_variants, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="version",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="versions",
                to="provisions.variant",
            ),
        ),
        migrations.AlterField(
            model_name="provision",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="provisions",
                to="provisions.variant",
            ),
        ),
        migrations.AlterField(
            model_name="version",
            name="ordinal",
            field=models.PositiveIntegerField(
                default=0, help_text="1 = oldest version of its variant"
            ),
        ),
        migrations.AlterField(
            model_name="document",
            name="latest_version",
            field=models.ForeignKey(
                blank=True,
                help_text="The latest version of its primary (first) variant",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="provisions.version",
            ),
        ),
        migrations.RemoveConstraint(model_name="version", name="version_unique_text"),
        migrations.RemoveConstraint(model_name="version", name="version_unique_public_tag"),
        migrations.AddConstraint(
            model_name="version",
            constraint=models.UniqueConstraint(
                fields=("variant", "sha256"), name="version_unique_text"
            ),
        ),
        migrations.AddConstraint(
            model_name="version",
            constraint=models.UniqueConstraint(
                fields=("document", "variant_key", "public_tag"),
                name="version_unique_public_tag",
            ),
        ),
        migrations.AddIndex(
            model_name="version",
            index=models.Index(fields=["variant", "captured_at"], name="version_variant_captured"),
        ),
    ]
