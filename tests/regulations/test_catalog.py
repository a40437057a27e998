import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from regulations.catalog import DATA, CatalogError, load_catalog, read_catalog
from regulations.models import ClauseTypeLink, Regulation, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog_dir(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(DATA, folder)
    return folder


def edit(folder, name, change):
    path = folder / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def snapshot():
    return (
        sorted(Regulation.objects.values_list("slug", "updated_at", "summary")),
        sorted(Topic.objects.values_list("slug", "updated_at")),
        sorted(
            ClauseTypeLink.objects.values_list(
                "clause_type__slug", "regulation__slug", "updated_at"
            )
        ),
    )


def test_the_shipped_catalog_loads_whole(capsys):
    call_command("load_regulations")
    out = capsys.readouterr().out
    shipped = json.loads((DATA / "regulations.json").read_text())
    assert Regulation.objects.count() == len(shipped) == 80
    assert Topic.objects.count() == len(json.loads((DATA / "topics.json").read_text())) == 45
    links = json.loads((DATA / "clause_type_links.json").read_text())["links"]
    assert ClauseTypeLink.objects.count() == sum(len(rows) for rows in links.values())
    assert "regulations: 80 created, 0 updated, 0 unchanged, 0 removed" in out
    defiance = Regulation.objects.get(slug="us-defiance-act")
    assert (defiance.status, defiance.enacted) == ("pending", "")
    assert "status" in defiance.unverified
    dsa = Regulation.objects.get(slug="eu-dsa")
    assert dsa.applies_from == "2024-02-17" and dsa.url.startswith("https://eur-lex")
    assert "notice-and-takedown" in {t.slug for t in dsa.topics.all()}


def test_a_second_run_changes_nothing_and_says_so(capsys):
    call_command("load_regulations")
    before = snapshot()
    capsys.readouterr()
    call_command("load_regulations")
    out = capsys.readouterr().out
    assert "regulations: 0 created, 0 updated, 80 unchanged, 0 removed" in out
    assert "topics: 0 created, 0 updated, 45 unchanged, 0 removed" in out
    assert "Nothing changed." in out
    assert snapshot() == before


def test_changes_are_reported_with_field_names(catalog_dir, capsys):
    load_catalog(catalog_dir)

    def change(rows):
        dsa = next(r for r in rows if r["slug"] == "eu-dsa")
        dsa["summary"] = "A new summary."
        dsa["topics"] = [*dsa["topics"], "csam"]
        rows[:] = [r for r in rows if r["slug"] != "us-eo-14179"]

    edit(catalog_dir, "regulations.json", change)
    edit(
        catalog_dir,
        "clause_type_links.json",
        lambda d: d["links"]["csam"].pop(),  # the last csam link
    )
    call_command("load_regulations", str(catalog_dir))
    out = capsys.readouterr().out
    assert "regulations: 0 created, 1 updated, 78 unchanged, 1 removed" in out
    assert "updated eu-dsa: summary, topics" in out
    assert "removed us-eo-14179" in out
    assert "clause-type links: 0 created, 0 updated" in out and "1 removed" in out
    assert Regulation.objects.get(slug="eu-dsa").summary == "A new summary."
    assert not Regulation.objects.filter(slug="us-eo-14179").exists()


def _missing_slug(rows):
    del rows[3]["slug"]


def _duplicate_slug(rows):
    rows[5]["slug"] = rows[4]["slug"]


def _unknown_topic(rows):
    rows[0]["topics"].append("space-piracy")


def _bad_date(rows):
    rows[2]["enacted"] = "2024-02-30"


def _bad_status(rows):
    rows[1]["status"] = "sort-of"


def _unflagged_null(rows):
    dsa = next(r for r in rows if r["slug"] == "eu-dsa")
    dsa["enacted"] = None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_unflagged_null, "(eu-dsa): enacted is null but not listed in unverified"),
        (_missing_slug, "regulations.json entry 4: missing or malformed slug None"),
        (_duplicate_slug, "duplicate slug"),
        (_unknown_topic, "unknown topic 'space-piracy' (not in topics.json)"),
        (_bad_date, "enacted '2024-02-30' is not a date"),
        (_bad_status, "status 'sort-of' is not one of"),
    ],
)
def test_a_malformed_catalog_fails_clearly_and_changes_nothing(catalog_dir, change, message):
    load_catalog(catalog_dir)
    before = snapshot()
    edit(catalog_dir, "regulations.json", change)
    edit(catalog_dir, "regulations.json", lambda rows: rows[0].update(summary="Changed."))
    with pytest.raises(CommandError) as error:
        call_command("load_regulations", str(catalog_dir))
    assert message in str(error.value)
    assert "nothing was changed" in str(error.value)
    assert snapshot() == before


def test_links_must_name_known_clause_types_and_regulations(catalog_dir):
    def change(document):
        document["links"]["no-such-type"] = [{"regulation": "eu-dsa", "rationale": "x"}]
        document["links"]["csam"].append({"regulation": "eu-nothing", "rationale": "x"})
        document["links"]["ncii"].append({"regulation": "us-cfaa", "rationale": ""})

    edit(catalog_dir, "clause_type_links.json", change)
    with pytest.raises(CatalogError) as error:
        read_catalog(catalog_dir)
    problems = error.value.problems
    assert any("unknown clause type 'no-such-type'" in p for p in problems)
    assert any("unknown regulation 'eu-nothing'" in p for p in problems)
    assert any("us-cfaa: a rationale of 1–400 characters is needed" in p for p in problems)
    assert not Regulation.objects.exists()


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CatalogError, match="topics.json: file not found"):
        read_catalog(tmp_path)


def test_the_shipped_links_never_tie_ncii_to_computer_misuse_or_copyright():
    catalog = read_catalog(DATA)
    ncii = {regulation for (clause_type, regulation) in catalog.links if clause_type == "ncii"}
    assert "us-take-it-down-act" in ncii and "us-defiance-act" in ncii
    assert not ncii & {"us-cfaa", "us-dmca-1201", "us-dmca-512"}
    for (clause_type, regulation), link in catalog.links.items():
        assert link["rationale"].strip(), (clause_type, regulation)
