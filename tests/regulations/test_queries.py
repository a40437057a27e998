import pytest
from django.template.loader import render_to_string

from comparisons.classify import curate_clause_type
from regulations.models import ProvisionLinkOverride, SuggestedLink
from regulations.queries import (
    applicable_by_provision,
    applicable_regulations,
    clause_types_engaging,
    regulation_coverage,
    suggested_regulations,
)
from tests.factories import embed_texts

pytestmark = pytest.mark.django_db

CSAM_TEXT = "Do not generate child sexual abuse material."
NCII_TEXT = "Do not share intimate images of a real person without consent."


def slugs(links):
    return [link.regulation.slug for link in links]


def test_a_provision_inherits_its_clause_types_links_sorted_by_jurisdiction(world):
    links = applicable_regulations(world["provisions"][CSAM_TEXT])
    assert slugs(links) == ["eu-csam", "us-csam"]
    us = links[1]
    assert (us.article, us.rationale, us.basis) == ("§ 1", "Reports CSAM.", "clause type Csam")
    assert us.inherited


def test_unassigned_provisions_have_no_applicable_regulation(world):
    assert (
        applicable_regulations(world["provisions"]["The laws of California govern these terms."])
        == []
    )


def test_a_curator_can_suppress_an_inherited_link_or_add_one(world):
    provision = world["provisions"][CSAM_TEXT]
    regulations = world["regulations"]
    ProvisionLinkOverride.objects.create(
        provision=provision, regulation=regulations["eu-csam"], action="suppress", rationale="No."
    )
    ProvisionLinkOverride.objects.create(
        provision=provision,
        regulation=regulations["us-other"],
        action="add",
        article="s. 9",
        rationale="This clause also bans distribution.",
    )
    links = applicable_regulations(provision)
    assert slugs(links) == ["us-other", "us-csam"]  # "A Act" sorts before "B Act"
    added = links[0]
    assert (added.basis, added.article, added.inherited) == ("curator", "s. 9", False)
    # The other provision of the same clause type keeps the suppressed link.
    other = world["provisions"]["Never create sexual content involving minors."]
    assert slugs(applicable_regulations(other)) == ["eu-csam", "us-csam"]


def test_a_curator_link_replaces_the_inherited_wording_of_the_same_law(world):
    provision = world["provisions"][CSAM_TEXT]
    ProvisionLinkOverride.objects.create(
        provision=provision,
        regulation=world["regulations"]["us-csam"],
        action="add",
        article="§ 2",
        rationale="Curated wording.",
    )
    us = [link for link in applicable_regulations(provision) if link.regulation.slug == "us-csam"]
    assert [(link.article, link.basis) for link in us] == [("§ 2", "curator")]


def test_applicable_by_provision_takes_a_constant_number_of_queries(
    world, django_assert_num_queries
):
    ids = [p.pk for p in world["provisions"].values()]
    with django_assert_num_queries(3):
        result = applicable_by_provision(ids)
    assert set(result) == set(ids)
    assert slugs(result[world["provisions"][NCII_TEXT].pk]) == ["us-bill"]
    assert applicable_by_provision([]) == {}


def test_suggestions_are_apart_and_exclude_applicable_regulations(world):
    provision = world["provisions"][CSAM_TEXT]
    for slug, score in (("us-csam", 0.9), ("us-other", 0.5)):
        SuggestedLink.objects.create(
            provision=provision,
            regulation=world["regulations"][slug],
            topic=world["topic"],
            score=score,
            model_name="fake",
        )
    suggested = suggested_regulations(provision)
    assert [s.regulation.slug for s in suggested] == ["us-other"]
    assert "us-other" not in slugs(applicable_regulations(provision))


def test_regulation_coverage_names_addressing_and_silent_platforms(
    world, django_assert_num_queries
):
    regulation = world["regulations"]["us-csam"]
    # platforms, the linked types, their stored coverage, the curators' overrides
    with django_assert_num_queries(4):
        coverage = regulation_coverage(regulation)
    from provisions.models import Platform

    tracked = Platform.objects.filter(documents__versions__isnull=False).distinct().count()
    assert coverage.tracked == tracked
    assert {p.slug for p in coverage.addressing} == {"alpha", "beta"}
    assert "gamma" in {p.slug for p in coverage.silent}
    assert len(coverage.addressing) + len(coverage.silent) == tracked
    ProvisionLinkOverride.objects.create(
        provision=world["provisions"]["Never create sexual content involving minors."],
        regulation=regulation,
        action="suppress",
        rationale="Not this one.",
    )
    ProvisionLinkOverride.objects.create(
        provision=world["provisions"]["These terms are governed by the laws of Ireland."],
        regulation=regulation,
        action="add",
        rationale="A test addition.",
    )
    coverage = regulation_coverage(regulation)
    assert {p.slug for p in coverage.addressing} == {"alpha", "gamma"}
    assert coverage.provision_count == 2


def test_clause_types_engaging(world):
    links = list(clause_types_engaging(world["regulations"]["eu-csam"]))
    assert [(link.clause_type.slug, link.rationale) for link in links] == [
        ("csam", "Criminalises CSAM.")
    ]


def test_fragment_groups_by_jurisdiction_and_keeps_suggestions_apart(world):
    provision = world["provisions"][NCII_TEXT]
    regulations = world["regulations"]
    regulations["us-bill"].unverified = ["status", "citation"]
    regulations["us-bill"].save()
    SuggestedLink.objects.create(
        provision=provision,
        regulation=regulations["eu-csam"],
        topic=world["topic"],
        score=0.4567,
        model_name="fake",
    )
    applicable = applicable_regulations(provision)
    html = render_to_string(
        "regulations/_provision_regulations.html",
        {"applicable": applicable, "suggested": suggested_regulations(provision)},
    )
    assert "United States" in html and "Would give victims a claim." in html
    assert "Pending</strong> <em>(status unverified)</em>: a bill, not law" in html
    assert "(citation unverified)" in html
    assert "Basis: clause type Ncii." in html
    applicable_part, suggested_part = html.split("Possibly related")
    assert "Z Directive" not in applicable_part
    assert "Z Directive" in suggested_part and "score 0.46" in suggested_part


def test_curator_overrides_survive_reassignment_and_reloading_the_catalog(
    catalog, world, fake_encoder
):
    from comparisons.clustering import assign_provisions
    from comparisons.models import Assignment
    from regulations.catalog import load_catalog
    from regulations.models import Regulation

    provisions = world["provisions"]
    # A curated type stays put through re-assignment, so its inherited links do too.
    Assignment.objects.filter(provision=provisions[CSAM_TEXT]).update(basis="curated")
    embed_texts(provisions.values(), fake_encoder)
    assign_provisions(encoder=fake_encoder)
    governed = provisions["These terms are governed by the laws of Ireland."]
    gdpr = Regulation.objects.get(slug="eu-gdpr")
    ProvisionLinkOverride.objects.create(
        provision=governed, regulation=gdpr, action="add", rationale="Curator: data transfer."
    )
    suppressed = Regulation.objects.get(slug="us-18-usc-2258a")
    assert suppressed in {link.regulation for link in applicable_regulations(provisions[CSAM_TEXT])}
    ProvisionLinkOverride.objects.create(
        provision=provisions[CSAM_TEXT], regulation=suppressed, action="suppress", rationale="No."
    )
    for _ in range(2):
        assign_provisions(encoder=fake_encoder)
        load_catalog()  # (removes the fixture's own test regulations, not in the catalog)
        added = [link for link in applicable_regulations(governed) if link.regulation == gdpr]
        assert [(link.basis, link.rationale) for link in added] == [
            ("curator", "Curator: data transfer.")
        ]
        assert suppressed not in {
            link.regulation for link in applicable_regulations(provisions[CSAM_TEXT])
        }
    assert ProvisionLinkOverride.objects.count() == 2


def test_a_curators_new_type_counts_for_the_law_at_once(world):
    regulation = world["regulations"]["us-csam"]
    before = {row.platform.slug: row.count for row in regulation_coverage(regulation).rows}
    assert before["gamma"] == 0
    provision = world["provisions"]["These terms are governed by the laws of Ireland."]
    curate_clause_type(provision=provision, clause_type=world["types"]["csam"], curator="test")
    after = {row.platform.slug: row.count for row in regulation_coverage(regulation).rows}
    assert after == before | {"gamma": 1}  # the stored coverage followed the decision
    moved = world["provisions"]["Never create sexual content involving minors."]
    curate_clause_type(provision=moved, clause_type=world["types"]["ncii"], curator="test")
    counts = {row.platform.slug: row.count for row in regulation_coverage(regulation).rows}
    assert counts["beta"] == before["beta"] - 1  # and the type it left
