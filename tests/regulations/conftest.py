import pytest

from comparisons.models import Assignment, ClauseType
from regulations.models import ClauseTypeLink, Regulation, Topic
from tests.comparisons.test_assignment import import_platforms


def make_regulation(slug: str, **fields) -> Regulation:
    defaults = {
        "name": slug.replace("-", " ").title(),
        "short_name": slug.upper(),
        "citation": f"Cit. {slug}",
        "jurisdiction": "EU",
        "jurisdiction_name": "European Union",
        "level": "supranational",
        "kind": "regulation",
        "status": "in_force",
        "summary": f"Summary of {slug}.",
        "sources": ["https://example.org/source"],
    }
    return Regulation.objects.create(slug=slug, **(defaults | fields))


def make_clause_type(slug: str) -> ClauseType:
    return ClauseType.objects.get_or_create(
        slug=slug,
        defaults={
            "name": slug.replace("-", " ").title(),
            "category": "test",
            "description": slug,
            "default_severity": "high",
        },
    )[0]


def assign(provision, clause_type: ClauseType) -> Assignment:
    return Assignment.objects.update_or_create(
        provision=provision,
        defaults={
            "clause_type": clause_type,
            "score": 0.9,
            "confidence": "high",
            "basis": "classifier",
            "severity": clause_type.default_severity,
            "severity_rule": "test",
            "model_name": "test",
            "text_hash": provision.text_hash,
        },
    )[0]


def link(clause_type, regulation, *, article="", rationale="Because.") -> ClauseTypeLink:
    return ClauseTypeLink.objects.create(
        clause_type=clause_type, regulation=regulation, article=article, rationale=rationale
    )


POLICIES = {
    "alpha": "# Rules\n\n- Do not generate child sexual abuse material.\n"
    "- Do not share intimate images of a real person without consent.\n",
    "beta": "# Policy\n\n- Never create sexual content involving minors.\n"
    "- The laws of California govern these terms.\n",
    "gamma": "# Terms\n\n- These terms are governed by the laws of Ireland.\n",
    "delta": "# Rules\n\n- Do not create realistic synthetic or manipulated audio, image or video "
    "depicting real people.\n",
}

DEEPFAKE_TEXT = (
    "Do not create realistic synthetic or manipulated audio, image or video depicting real people."
)


def embed(provisions, encoder) -> None:
    """Store embeddings of these provisions' wordings (keyed like the worker's)."""
    from provisions.embeddings import encode_cached

    encode_cached([p.text for p in provisions], encoder=encoder)


@pytest.fixture
def world(tmp_path):
    """Three platforms with a few provisions, two clause types and three regulations."""
    from provisions.models import Provision

    import_platforms(tmp_path, POLICIES)
    provisions = {
        p.text: p for p in Provision.objects.filter(document__platform__slug__in=POLICIES)
    }
    csam, ncii = make_clause_type("csam"), make_clause_type("ncii")
    topic = Topic.objects.get_or_create(slug="csam", defaults={"definition": "CSAM."})[0]
    regulations = {
        "us-csam": make_regulation(
            "us-csam", jurisdiction="US", jurisdiction_name="United States", short_name="B Act"
        ),
        "us-other": make_regulation(
            "us-other", jurisdiction="US", jurisdiction_name="United States", short_name="A Act"
        ),
        "eu-csam": make_regulation("eu-csam", short_name="Z Directive"),
        "us-bill": make_regulation(
            "us-bill",
            jurisdiction="US",
            jurisdiction_name="United States",
            short_name="Bill",
            status="pending",
        ),
    }
    for regulation in regulations.values():
        regulation.topics.add(topic)
    link(csam, regulations["us-csam"], article="§ 1", rationale="Reports CSAM.")
    link(csam, regulations["eu-csam"], rationale="Criminalises CSAM.")
    link(ncii, regulations["us-bill"], rationale="Would give victims a claim.")
    assign(provisions["Do not generate child sexual abuse material."], csam)
    assign(provisions["Never create sexual content involving minors."], csam)
    assign(provisions["Do not share intimate images of a real person without consent."], ncii)
    return {
        "provisions": provisions,
        "regulations": regulations,
        "types": {"csam": csam, "ncii": ncii},
        "topic": topic,
    }


@pytest.fixture
def catalog():
    """The shipped catalog, topics and curated clause-type links, loaded."""
    from regulations.catalog import load_catalog

    return load_catalog()
