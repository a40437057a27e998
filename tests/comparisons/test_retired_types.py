"""Types split into one rule each (or renamed) keep their addresses, followers and curated
assignments (``retired`` in comparisons/data/clause_types.json)."""

import pytest

from changes.scopes import resolve_scope
from comparisons.clustering import assign_provisions
from comparisons.models import Assignment, ClauseType
from comparisons.taxonomy import load_clause_types, read_retired, read_taxonomy
from provisions.models import Document, Provision
from tests.factories import ASSIGNMENT_POLICIES, curate, embed_platforms, import_platforms

SPLIT = "account-security"  # one of the shipped taxonomy's retired types


def test_retired_types_name_current_types_and_are_not_current_themselves():
    retired, current = read_retired(), {t["slug"] for t in read_taxonomy()}
    assert SPLIT in retired
    for slug, row in retired.items():
        assert slug not in current
        assert row["replaced_by"] and set(row["replaced_by"]) <= current, slug
        assert row["name"] and row["reason"] and row["retired"]


def old_type():
    return ClauseType.objects.create(
        slug=SPLIT,
        name="Account registration, security and sharing",
        category="account",
        description="Several rules about accounts.",
        default_severity="medium",
    )


@pytest.mark.django_db
def test_a_curated_assignment_moves_to_a_replacing_type_and_the_old_type_goes(
    tmp_path, fake_encoder
):
    import_platforms(tmp_path, ASSIGNMENT_POLICIES, document="Policy", source_url=False)
    embed_platforms(fake_encoder, ASSIGNMENT_POLICIES)
    provision = Provision.objects.get(text="Users must be 18 or older.")
    curate(provision, old_type())
    assign_provisions(encoder=fake_encoder)
    moved = Assignment.objects.select_related("clause_type").get(provision=provision)
    assert moved.basis == "curated"
    assert moved.clause_type.slug in read_retired()[SPLIT]["replaced_by"]
    assert moved.clause_type.name in moved.severity_rule
    assert not ClauseType.objects.filter(slug=SPLIT).exists()


@pytest.mark.django_db
def test_loading_the_taxonomy_drops_a_retired_type_unless_a_curator_used_it(tmp_path):
    old_type()
    load_clause_types()
    assert not ClauseType.objects.filter(slug=SPLIT).exists()
    import_platforms(tmp_path, ASSIGNMENT_POLICIES, document="Policy", source_url=False)
    curate(Provision.objects.first(), old_type())
    load_clause_types()  # the next full assignment run moves the curated one first
    assert ClauseType.objects.filter(slug=SPLIT).exists()


@pytest.mark.django_db
def test_a_split_type_address_lists_the_types_that_replaced_it(client):
    load_clause_types()
    retired = read_retired()[SPLIT]
    response = client.get(f"/clause-types/{SPLIT}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert retired["name"] in html and retired["retired"] in html
    for slug in retired["replaced_by"]:
        assert f'href="/clause-types/{slug}/"' in html
    assert client.get("/clause-types/no-such-type/").status_code == 404


@pytest.mark.django_db
def test_a_renamed_type_address_redirects_for_good(client, monkeypatch):
    load_clause_types()
    renamed = {
        "old-name": {
            "name": "Old",
            "replaced_by": ["indemnity"],
            "retired": "2026-12-07",
            "reason": "renamed",
        }
    }
    monkeypatch.setattr("comparisons.views.retired_types", lambda: renamed)
    response = client.get("/clause-types/old-name/")
    assert response.status_code == 301 and response["Location"] == "/clause-types/indemnity/"


@pytest.mark.django_db
def test_following_a_split_type_follows_the_types_that_replaced_it(tmp_path):
    import_platforms(tmp_path, ASSIGNMENT_POLICIES, document="Policy", source_url=False)
    types = load_clause_types()
    retired = read_retired()[SPLIT]
    inside = Provision.objects.filter(document__platform__slug="alpha").first()
    outside = Provision.objects.filter(document__platform__slug="beta").first()
    curate(inside, types[retired["replaced_by"][-1]])
    curate(outside, types["indemnity"])
    scope = resolve_scope("clause-type", SPLIT)
    assert retired["name"] in scope.title
    followed = set(Document.objects.filter(scope.documents_filter).distinct())
    assert followed == {inside.document}
