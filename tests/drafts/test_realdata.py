"""Integration: the shared corpus (its 18 platforms), the real sentence model and the
classifier the worker trains, with Stability AI's acceptable use policy fed back as a draft.

The corpus alone is imported (not the OTA bundle), once for the module, in a transaction
rolled back at its end. The platforms' usage and acceptable-use policies and community
guidelines are embedded (live provisions only; embedding all 4,871 provisions takes too long
for a test here), then assigned clause types by the worker's assignment run, which stores the
classifier the check loads; the other documents count only through the labelled provisions
the classifier trains on, so the field's counts are lower bounds of the site's.
"""

import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q

from comparisons.clustering import assign_provisions
from comparisons.models import Assignment, Coverage
from drafts.checking import check_draft
from drafts.reading import read_upload, split_draft
from provisions.embeddings import encode_cached, get_encoder
from provisions.models import Document, Provision
from regulations.catalog import load_catalog
from tests.factories import check_deferred_constraints

pytestmark = [pytest.mark.realdata, pytest.mark.slow, pytest.mark.django_db]

STABILITY = "stability-ai/acceptable-use-policy/2026-07-30.md"
# Acceptable-use and usage policies and community guidelines (10 of the 18 platforms have one).
POLICIES = (
    Q(slug__contains="acceptable-use")
    | Q(slug__contains="usage-polic")
    | Q(slug__contains="prohibited-use")
    | Q(slug__contains="guidelines")
)
CHILDREN = "### **We Prohibit Harm to or Exploitation against Children.**"


@pytest.fixture(scope="module")
def field(corpus_dir, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("import_sources", str(corpus_dir), verbosity=0)
        load_catalog()
        texts = Provision.objects.live().filter(document__in=Document.objects.filter(POLICIES))
        texts = texts.values_list("text")
        encoder = get_encoder()
        encode_cached([text for (text,) in texts], encoder=encoder)
        assign_provisions(encoder=encoder)
        check_deferred_constraints()
        yield {"policy": (corpus_dir / STABILITY).read_bytes()}
        transaction.set_rollback(True)


def test_stability_ais_policy_as_a_draft_finds_its_own_clause_types(field):
    report = check_draft(split_draft(read_upload("aup.md", field["policy"])))
    assert len(report.tracked) == 18 and report.threshold == 5
    found = {t.slug for clause in report.clauses for t in clause.types}
    stored = set(
        Assignment.objects.filter(
            provision__document__platform__slug="stability-ai",
            provision__document__slug="acceptable-use-policy",
            provision__removed_in__isnull=True,
            basis="classifier",
        ).values_list("clause_type__slug", flat=True)
    )
    assert found == stored
    assert {"csam", "ncii", "minimum-age"} <= found
    # Against the field, the draft has exactly the common types its stored clauses have.
    assert report.field_types
    for field_type in report.field_types:
        assert field_type.in_draft == (field_type.clause_type.slug in stored)
        if field_type.in_draft:
            assert "stability-ai" in {p.slug for p in field_type.having}
    csam = next(c for c in report.clauses if c.text.startswith("child sexual abuse material"))
    assert csam.types[0].slug == "csam" and csam.types[0].confidence == "high"
    platforms = [w.provision.document.platform.slug for w in csam.wordings]
    assert len(platforms) == 3 == len(set(platforms))
    assert all(w.provision.assignment.clause_type.slug == "csam" for w in csam.wordings)


def test_the_same_policy_without_its_csam_section_reports_that_gap(field):
    text = field["policy"].decode()
    start = text.index(CHILDREN)
    end = text.index("### ", start + len(CHILDREN))
    report = check_draft(split_draft(text[:start] + text[end:]))
    assert not any("CSAM" in clause.text for clause in report.clauses)
    gap = next(t for t in report.missing if t.clause_type.slug == "csam")
    having = Coverage.objects.filter(clause_type__slug="csam").count()
    assert having >= report.threshold
    assert len(gap.having) == having
    assert re.fullmatch(
        rf"{having} of 18 platforms tracked have a provision of the clause type “Child sexual "
        r"abuse material”; no clause of your draft does\.",
        gap.summary,
    )
    laws = {e.regulation.slug for e in report.engaged_by_missing}
    assert {"us-18-usc-2258a", "eu-csa-directive-2011-93"} <= laws
    # What the rest of the policy says is still found.
    assert "ncii" in {t.slug for clause in report.clauses for t in clause.types}
