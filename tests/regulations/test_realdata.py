"""Integration: the real corpus, the real sentence model and the real classifier.

The labelled provisions are embedded and assigned clause types once for the module, then the
curated links they inherit are checked: the Stability AI clauses the issue names, and
precision and recall over every labelled pair.
"""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.template.loader import render_to_string

from regulations.evaluation import evaluate_links, locate_provisions, read_pairs
from regulations.queries import applicable_regulations
from tests.factories import check_deferred_constraints

pytestmark = [pytest.mark.realdata, pytest.mark.django_db]

STABILITY = "stability-ai/acceptable-use-policy/2026-07-30.md"
CSAM = (
    "child sexual abuse material (CSAM), sexual exploitation, grooming, or trafficking of minors."
)
NCII = "non-consensual intimate imagery (NCII)."


@pytest.fixture(scope="module")
def assigned(real_data, django_db_blocker):
    """Catalog loaded; labelled provisions embedded (real model) and assigned, in a savepoint
    inside the real corpus's transaction, rolled back at the end of the module."""
    from comparisons.clustering import assign_provisions
    from provisions.embeddings import encode_cached, get_encoder
    from provisions.models import Provision
    from regulations.catalog import load_catalog

    with django_db_blocker.unblock(), transaction.atomic():
        load_catalog()
        located = locate_provisions(read_pairs())
        encoder = get_encoder()
        texts = Provision.objects.filter(pk__in=set(located.values())).values_list(
            "text", flat=True
        )
        encode_cached(list(texts), encoder=encoder)
        assign_provisions(encoder=encoder)
        check_deferred_constraints()
        yield located
        transaction.set_rollback(True)


def provision(located, text, path=STABILITY):
    from provisions.models import Provision

    return Provision.objects.get(pk=located[(path, text)])


def test_stability_csam_clause_links_to_the_child_protection_laws(assigned):
    csam = provision(assigned, CSAM)
    assert csam.assignment.clause_type.slug == "csam"
    links = {link.regulation.slug: link for link in applicable_regulations(csam)}
    for slug in (
        "us-18-usc-2258a",
        "us-18-usc-2252a",
        "us-protect-act-2003",
        "eu-csa-directive-2011-93",
        "gb-protection-of-children-act-1978",
        "gb-online-safety-act-2023",
    ):
        assert slug in links, slug
        assert links[slug].rationale and links[slug].basis.startswith("clause type ")
    assert "NCMEC" in links["us-18-usc-2258a"].rationale
    assert links["us-18-usc-2258a"].article == "§ 2258A(a)"


def test_stability_ncii_clause_links_to_ncii_laws_with_defiance_pending(assigned):
    ncii = provision(assigned, NCII)
    assert ncii.assignment.clause_type.slug == "ncii"
    applicable = applicable_regulations(ncii)
    links = {link.regulation.slug: link for link in applicable}
    for slug in ("us-take-it-down-act", "gb-online-safety-act-2023", "us-defiance-act"):
        assert slug in links and links[slug].rationale, slug
    assert links["us-defiance-act"].regulation.status == "pending"
    assert not set(links) & {"us-cfaa", "us-dmca-1201", "us-dmca-512"}
    html = render_to_string(
        "regulations/_provision_regulations.html", {"applicable": applicable, "suggested": []}
    )
    defiance = html.split(">DEFIANCE Act</a>")[1].split("</li>")[0]
    assert "<strong>Pending</strong>" in defiance and "a bill, not law" in defiance
    assert "CFAA" not in html and "DMCA" not in html


def test_curated_links_meet_precision_and_recall_on_the_labelled_pairs(assigned, capsys):
    pairs = read_pairs()
    assert len(pairs) >= 80
    assert {True, False} == {pair["expected"] for pair in pairs}
    assert len({pair["path"].split("/")[0] for pair in pairs}) >= 10
    result = evaluate_links(pairs)
    assert result.provisions == len(assigned)
    assert result.tp + result.fp + result.fn + result.tn == len(pairs)
    call_command("evaluate_regulations")
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)
    assert f"precision {result.precision:.3f}" in out and f"recall {result.recall:.3f}" in out
    assert result.precision >= 0.9, out
    assert result.recall >= 0.8, out


def test_regulation_page_denominator_matches_the_database_on_the_real_corpus(assigned, client):
    from provisions.models import Platform
    from regulations.models import Regulation
    from regulations.queries import provisions_addressing

    regulation = Regulation.objects.get(slug="gb-online-safety-act-2023")
    tracked = list(Platform.objects.filter(documents__versions__isnull=False).distinct())
    addressing = set(
        provisions_addressing(regulation).values_list("document__platform__name", flat=True)
    )
    assert len(tracked) >= 18 and 2 <= len(addressing) < len(tracked)
    html = client.get(regulation.get_absolute_url()).content.decode()
    assert f"Addressed by {len(addressing)} of {len(tracked)} platforms tracked" in html
    silent = html.split("No provision found for:")[1].split("</p>")[0]
    for platform in tracked:
        assert (platform.name in silent) == (platform.name not in addressing), platform.name
