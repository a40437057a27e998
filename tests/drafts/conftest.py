"""The draft checker's world: five platforms imported and embedded with the fake encoder, the
classifier trained and stored by the worker's assignment run, the regulation catalog loaded.
Built once per module, in a transaction rolled back at its end."""

import pytest
from django.db import transaction
from django.test import override_settings

from comparisons.clustering import assign_provisions
from provisions.embeddings import embed_pending
from provisions.models import Document
from regulations.catalog import load_catalog
from tests.factories import FakeEncoder, check_deferred_constraints, import_platforms

CSAM = "Do not generate child sexual abuse material."
POLICIES = {
    "alpha": f"# Rules\n\n## Safety\n\n- {CSAM}\n"
    "- You must be at least 18 years old to use the services.\n"
    "- These terms are governed by the laws of the State of California.\n",
    "beta": "# Policy\n\n- Never create sexual content involving minors or child abuse material.\n"
    "- Users must be 18 or older.\n",
    "gamma": f"# Terms\n\n- {CSAM}\n- No bullying or targeted harassment.\n",
    "delta": "# Use policy\n\n- No writing ransomware or viruses.\n",
    "epsilon": "# Terms\n\n- These terms are governed by the laws of Ireland.\n",
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        override_settings(ATLAS_EMBED_AFTER_IMPORT=False),
        transaction.atomic(),
    ):
        encoder = FakeEncoder()
        import_platforms(tmp_path_factory.mktemp("world"), POLICIES, name="{title} AI")
        embed_pending(
            encoder=encoder, document_ids=list(Document.objects.values_list("pk", flat=True))
        )
        assign_provisions(encoder=encoder)
        load_catalog()
        check_deferred_constraints()
        yield
        transaction.set_rollback(True)
