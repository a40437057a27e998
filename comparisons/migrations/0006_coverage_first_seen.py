from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def fill_first_seen(apps, schema_editor):
    """Existing coverage rows get their date now, not at the next assignment run: the
    adoption picture reads it from here."""
    Assignment = apps.get_model("comparisons", "Assignment")
    Coverage = apps.get_model("comparisons", "Coverage")
    first = (
        Assignment.objects.filter(
            clause_type_id=OuterRef("clause_type_id"),
            provision__document__platform_id=OuterRef("platform_id"),
        )
        .values("clause_type_id")
        .annotate(first=Min("provision__first_version__captured_at"))
        .values("first")
    )
    Coverage.objects.update(first_seen=Subquery(first))


class Migration(migrations.Migration):
    dependencies = [
        ("comparisons", "0005_clause_type_binds"),
    ]

    operations = [
        migrations.AddField(
            model_name="coverage",
            name="first_seen",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill_first_seen, migrations.RunPython.noop),
    ]
