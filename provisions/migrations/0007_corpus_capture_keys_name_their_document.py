"""Corpus capture keys name their target document (``corpus:{platform}/{document}/{path}@{sha}``).

The old key (``corpus:{path}@{sha}``) made the same file listed for another platform look
already imported. Stored keys are rewritten in place from the document each capture belongs to
(the manifest's platform and document slugs), so nothing is re-created and a re-import of the
same corpus still finds nothing new.
"""

from django.db import migrations

FORWARD = """
UPDATE provisions_capture AS c
SET key = 'corpus:' || p.slug || '/' || d.slug || '/' || substr(c.key, 8)
FROM provisions_version AS v
JOIN provisions_document AS d ON d.id = v.document_id
JOIN provisions_platform AS p ON p.id = d.platform_id
WHERE c.version_id = v.id AND c.kind = 'corpus' AND c.key LIKE 'corpus:%'
"""

BACKWARD = """
UPDATE provisions_capture AS c
SET key = 'corpus:' || substr(c.key, 9 + length(p.slug) + 1 + length(d.slug))
FROM provisions_version AS v
JOIN provisions_document AS d ON d.id = v.document_id
JOIN provisions_platform AS p ON p.id = d.platform_id
WHERE c.version_id = v.id AND c.kind = 'corpus' AND c.key LIKE 'corpus:%'
"""


class Migration(migrations.Migration):
    dependencies = [
        ("provisions", "0006_search_vector_reads_angle_brackets_as_spaces"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
