from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    dependencies = [("provisions", "0002_version_immutable")]
    operations = [VectorExtension()]
