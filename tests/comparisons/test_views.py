"""Compare, clause-type pages, and the compare table they and the API share.

``build_world`` is a small multi-platform corpus with clause types assigned by hand (as a
curator would): the pages are tested against known facts, whatever the classifier thinks.
"""

import hashlib
import json

import pytest

from comparisons.compare import compare_table
from comparisons.models import Assignment, ClauseType, Coverage
from provisions.ingest import import_sources
from provisions.models import Document, Provision

ALPHA_V1 = (
    "# Rules\n\n## Safety\n\n- Do not generate child sexual abuse material.\n"
    "- Do not harass people.\n\n## Legal\n\n"
    "- These terms are governed by the laws of the State of California.\n"
)
ALPHA_V2 = (
    "# Rules\n\n## Safety\n\n- Never generate child sexual abuse material of any kind.\n"
    "- Do not harass people.\n- Do not impersonate others.\n\n## Legal\n\n"
    "- These terms are governed by the laws of the State of California.\n"
)
WORLD = {
    "alpha": {"2025-01-01": ALPHA_V1, "2025-03-01": ALPHA_V2},
    "beta": {
        "2025-01-01": "# Policy\n\n- Never create sexual content involving minors.\n"
        "- The laws of California govern these terms and any dispute.\n"
        "- Users must be 18 or older.\n"
    },
    "gamma": {
        "2025-01-01": "# Terms\n\n- You must be at least 18 years old to use the services.\n"
        "- Disputes are resolved under the laws of Ireland.\n"
    },
    "delta": {"2025-01-01": "# Use policy\n\n- Do not generate malware or spyware.\n"},
}
TYPES = {  # slug: (name, category, severity, words that pick its provisions)
    "csam": ("CSAM prohibition", "Child safety", "critical", ["child", "minors"]),
    "governing-law": ("Governing law", "Legal", "low", ["laws of"]),
    "minimum-age": ("Minimum age", "Access", "medium", ["18"]),
    "malware": ("Malware prohibition", "Security", "high", ["malware"]),
}


def write_world(folder, world) -> None:
    entries = []
    for slug, versions in world.items():
        for day, text in versions.items():
            path = folder / slug / "policy" / f"{day}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            entries.append(
                {
                    "platform": slug,
                    "platform_name": slug.title(),
                    "document": "policy",
                    "document_name": "Usage Policy",
                    "version_date": day,
                    "path": f"{slug}/policy/{day}.md",
                    "source_url": f"https://{slug}.example/policy",
                    "sha256": hashlib.sha256(text.encode()).hexdigest(),
                }
            )
    (folder / "manifest.json").write_text(json.dumps(entries))
    import_sources([str(folder)])


def assign_by_words(types=TYPES) -> dict[str, ClauseType]:
    """Clause types and curated assignments by keyword, then the stored coverage."""
    made = {}
    for slug, (name, category, severity, _words) in types.items():
        made[slug] = ClauseType.objects.create(
            slug=slug,
            name=name,
            category=category,
            description=f"Provisions about {name.lower()}.",
            default_severity=severity,
        )
    for provision in Provision.objects.all():
        for slug, (_n, _c, severity, words) in types.items():
            if any(word in provision.text for word in words):
                Assignment.objects.create(
                    provision=provision,
                    clause_type=made[slug],
                    score=0.9,
                    confidence="high",
                    basis="curated",
                    severity=severity,
                    severity_rule=f"default severity of the clause type “{made[slug].name}”",
                    model_name="curator",
                    text_hash=provision.text_hash,
                )
                break
    from comparisons.clustering import store_coverage

    store_coverage()
    return made


def build_world(folder, world=WORLD) -> dict[str, ClauseType]:
    write_world(folder, world)
    return assign_by_words()


@pytest.fixture
def world(tmp_path):
    return build_world(tmp_path)


pytestmark = pytest.mark.django_db


def test_compare_table_rows_cells_and_silence(world):
    table = compare_table(platforms=["alpha", "beta", "gamma", "nobody"])
    assert [p.slug for p in table.platforms] == ["alpha", "beta", "gamma"]
    assert table.unknown == ["nobody"]
    rows = {row.clause_type.slug: row for row in table.rows}
    assert set(rows) == {"csam", "governing-law", "minimum-age"}
    assert [t.slug for t in table.absent] == ["malware"]
    csam = rows["csam"]
    assert csam.cells[2] is None and csam.differs
    assert csam.cells[0].provisions[0].text == (
        "Never generate child sexual abuse material of any kind."
    )  # the live wording, not the removed one
    assert csam.cells[0].total == 1 and csam.cells[0].severity == "critical"
    assert not rows["governing-law"].differs  # all three have it, same severity


def test_compare_table_filters(world):
    platforms = ["alpha", "beta", "gamma"]
    assert [
        r.clause_type.slug for r in compare_table(platforms=platforms, category="Legal").rows
    ] == ["governing-law"]
    assert [
        r.clause_type.slug for r in compare_table(platforms=platforms, severity="critical").rows
    ] == ["csam"]
    differing = compare_table(platforms=platforms, only_differences=True).rows
    assert {r.clause_type.slug for r in differing} == {"csam", "minimum-age"}
    assert Coverage.objects.filter(clause_type=world["csam"]).count() == 2


def test_full_text_search_ranks_and_highlights(world):
    results = list(Provision.objects.search("child abuse"))
    assert results and all("child" in r.text.lower() for r in results)
    assert "\ue000child\ue001" in results[0].snippet.lower()
    assert not Provision.objects.search("zebra crossing").exists()
    # websearch syntax: quoted phrases and exclusions
    assert {p.document.platform.slug for p in Provision.objects.search('"laws of" -ireland')} == {
        "alpha",
        "beta",
    }
    document = Document.objects.get(platform__slug="alpha")
    assert document.provisions.search("California").count() == 1
