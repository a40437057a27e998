"""A document's history follows the capture timeline, whatever order its versions arrive in."""

import json
from pathlib import Path

import pytest

from provisions.ingest import import_sources
from provisions.models import Document, Provision
from tests.factories import Doc, write_corpus

SENTENCE = (
    "users must not rely on outputs of the service for legal medical or financial "
    "decisions without review by a qualified professional in their own country"
)
WORDS = SENTENCE.split(" ")


def reworded(replacements: dict[int, str]) -> str:
    return " ".join(replacements.get(i, w) for i, w in enumerate(WORDS)) + "."


B1 = reworded({})
B2 = reworded({2: "shall", 5: "answers", 9: "lawful"})  # 0.85 like B1
B3 = reworded({2: "shall", 5: "answers", 9: "lawful", 14: "checks", 17: "licensed", 20: "home"})
# B3 is a light rewording of B2 (0.85) but not of B1 (0.7): only B2 links it to the clause.
TEXTS = {
    "2024-02-02": f"# Rules\n\n- Do not make spam.\n- {B1}\n",
    "2024-07-11": f"# Rules\n\n- Do not make spam.\n- {B2}\n- Label synthetic media as such.\n",
    "2024-07-12": f"# Rules\n\n- Do not make spam.\n- {B3}\n- Label synthetic media as such.\n",
}


def write_rules(folder: Path, platform: str, texts: dict[str, str]) -> str:
    """A corpus folder with one "rules" document of ``platform`` in these versions."""
    return str(write_corpus(folder, {Doc(platform, platform.title(), "rules", "Rules"): texts}))


def history(platform: str) -> dict:
    """Everything the pages show about the document's history, without database ids."""
    document = Document.objects.get(platform__slug=platform)
    versions = list(document.versions.order_by("ordinal"))
    ordinal = {v.pk: v.ordinal for v in versions}
    return {
        "versions": [
            (v.ordinal, v.captured_at.date().isoformat(), v.change_kind)
            + (v.added_count, v.removed_count, v.revised_count)
            for v in versions
        ],
        "provisions": sorted(
            (
                p.text,
                ordinal[p.first_version_id],
                ordinal[p.last_version_id],
                ordinal.get(p.removed_in_id),
                p.revision_count,
                p.revisions.count(),
            )
            for p in Provision.objects.filter(document=document)
        ),
        "latest": ordinal[document.latest_version_id],
    }


@pytest.mark.django_db
def test_an_older_version_imported_last_gives_the_same_history_as_date_order(tmp_path):
    import_sources([write_rules(tmp_path / "in-order", "ordered", TEXTS)])
    first, middle, last = TEXTS.items()
    import_sources([write_rules(tmp_path / "a", "shuffled", dict([first, last]))])
    report = import_sources([write_rules(tmp_path / "b", "shuffled", dict([middle]))])
    assert report.errors == {} and report.versions == 1
    expected = history("ordered")
    assert expected["versions"][2][3:] == (0, 0, 1)  # 07-12 only rewords the clause
    assert len(expected["provisions"]) == 3
    assert history("shuffled") == expected


@pytest.mark.django_db
def test_any_arrival_order_gives_the_same_history(tmp_path):
    import_sources([write_rules(tmp_path / "in-order", "ordered", TEXTS)])
    items = list(TEXTS.items())
    for number, order in enumerate([(2, 1, 0), (1, 2, 0), (2, 0, 1)]):
        platform = f"order{number}"
        for index in order:
            folder = write_rules(tmp_path / f"{number}-{index}", platform, dict([items[index]]))
            import_sources([folder])
        assert history(platform) == history("ordered"), order


A = "# Rules\n\n- Do not make spam.\n- Do not harass anyone.\n"
B = "# Rules\n\n- Do not make spam.\n- Do not impersonate anyone.\n"


@pytest.mark.django_db
def test_a_text_that_comes_back_makes_removed_in_follow_the_capture_timeline(tmp_path):
    folder = tmp_path / "flips"
    write_rules(folder, "flips", {"2024-01-01": A, "2024-02-01": B})
    # The third capture is the first text again (same bytes, another file).
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "2.md").write_text(A)
    manifest.append({**manifest[0], "path": "2.md", "version_date": "2024-03-01"})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    import_sources([str(folder)])
    document = Document.objects.get(platform__slug="flips")
    first = document.versions.get(ordinal=1)
    assert document.latest_version == first  # today's text is A again
    harass = Provision.objects.get(document=document, text="Do not harass anyone.")
    impersonate = Provision.objects.get(document=document, text="Do not impersonate anyone.")
    assert harass.removed_in is None  # in force again
    assert impersonate.removed_in == first  # gone when A came back
    assert Provision.objects.filter(document=document).live().count() == 2


@pytest.mark.django_db
def test_relinking_keeps_the_records_of_clauses_that_stay(tmp_path):
    first, middle, last = TEXTS.items()
    import_sources([write_rules(tmp_path / "a", "shuffled", dict([first, last]))])
    before = dict(Provision.objects.values_list("text", "id"))
    import_sources([write_rules(tmp_path / "b", "shuffled", dict([middle]))])
    after = dict(Provision.objects.values_list("text", "id"))
    for text in ("Do not make spam.", "Label synthetic media as such."):
        assert after[text] == before[text]
    # The reworded clause is one record again, the one the first version started.
    assert after[B3] == before[B1] and B1 not in after
    assert import_sources([str(tmp_path / "a"), str(tmp_path / "b")]).nothing_new
