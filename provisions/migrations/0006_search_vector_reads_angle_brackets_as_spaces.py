# The search vector reads "<" and ">" as spaces (see provisions.search.searchable): PostgreSQL
# cannot alter a generated column's expression, so the column and its index are re-created.

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.functions.comparison
from django.db import migrations, models


def untagged(expression):
    return models.Func(
        expression,
        models.Value("<>"),
        models.Value("  "),
        function="translate",
        output_field=models.TextField(),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("provisions", "0005_provision_search_vector"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="provision", name="provision_search_vector_gin"),
        migrations.RemoveField(model_name="provision", name="search_vector"),
        migrations.AddField(
            model_name="provision",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.CombinedSearchVector(
                    django.contrib.postgres.search.SearchVector(
                        untagged(models.F("text")), config="english", weight="A"
                    ),
                    "||",
                    django.contrib.postgres.search.SearchVector(
                        untagged(
                            django.db.models.functions.comparison.Cast(
                                "heading_path", output_field=models.TextField()
                            )
                        ),
                        config="english",
                        weight="B",
                    ),
                    django.contrib.postgres.search.SearchConfig("english"),
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="provision",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="provision_search_vector_gin"
            ),
        ),
    ]
