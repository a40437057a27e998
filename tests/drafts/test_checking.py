"""The draft check itself (``drafts.checking.check_draft``) on the fake-encoder world of
conftest.py: five platforms tracked, so a clause type is common from 2 platforms on; the
stored classifier gives Child sexual abuse material to alpha, beta and gamma, Governing law
to alpha and epsilon, and one platform each to other types."""

import pytest

from comparisons.models import TrainedClassifier
from drafts.checking import check_draft
from drafts.reading import split_draft
from regulations.models import ClauseTypeLink

pytestmark = pytest.mark.django_db

CSAM_NAME = "Child sexual abuse material"
DRAFT = (
    "# Draft policy\n\n## Safety\n\n"
    "- Do not generate child sexual abuse material.\n"
    "- Kangaroo feeding rotas are published weekly.\n\n"
    "## Legal\n\n- These terms are governed by the laws of Ireland.\n"
)
WITHOUT_CSAM = (
    "# Draft policy\n\n- No bullying or targeted harassment.\n"
    "- These terms are governed by the laws of Ireland.\n"
)


def check(text):
    return check_draft(split_draft(text))


def test_each_clause_gets_its_types_with_confidence_and_other_platforms_wordings(
    world, fake_encoder
):
    report = check(DRAFT)
    csam, kangaroo, law = report.clauses
    assert (csam.number, csam.segment.heading_path) == (1, ("Draft policy", "Safety"))
    assert [t.slug for t in csam.types] == ["csam"]
    assert csam.types[0].confidence == "high" and csam.types[0].score >= 0.6
    platforms = [w.provision.document.platform.slug for w in csam.wordings]
    # Three platforms, one provision each, closest first: two word it exactly as the draft.
    assert sorted(platforms[:2]) == ["alpha", "gamma"] and platforms[2] == "beta"
    assert [w.similarity for w in csam.wordings][:2] == [1.0, 1.0]
    assert csam.wordings[2].similarity < 1.0
    assert csam.wordings[2].provision.text.startswith("Never create sexual content")
    assert all(w.provision.assignment.clause_type.slug == "csam" for w in csam.wordings)
    # A clause no type fits has none, keeps its closest candidates, and gets no wordings.
    assert kangaroo.types == [] and kangaroo.wordings == []
    assert len(kangaroo.candidates) == 4 and kangaroo.candidates[0].score < 0.3
    assert [w.provision.document.platform.slug for w in law.wordings] == ["epsilon", "alpha"]
    assert report.unclassified == 1
    assert report.model_name == fake_encoder.name


def test_common_clause_types_are_those_a_quarter_of_tracked_platforms_have(world, fake_encoder):
    report = check(DRAFT)
    assert [p.slug for p in report.tracked] == ["alpha", "beta", "delta", "epsilon", "gamma"]
    assert report.threshold == 2
    field = {t.clause_type.slug: t for t in report.field_types}
    assert list(field) == ["csam", "governing-law"]  # the most widespread first
    assert [p.name for p in field["csam"].having] == ["Alpha AI", "Beta AI", "Gamma AI"]
    assert field["csam"].clauses == [1] and field["governing-law"].clauses == [3]
    assert field["csam"].summary == (
        f"3 of 5 platforms tracked have a provision of the clause type “{CSAM_NAME}”; "
        "clause 1 of your draft does."
    )
    assert report.missing == []


def test_a_draft_without_a_csam_clause_reports_that_gap_and_the_laws_it_leaves_out(
    world, fake_encoder
):
    report = check(WITHOUT_CSAM)
    assert [t.clause_type.slug for t in report.missing] == ["csam"]
    gap = report.missing[0]
    assert gap.summary == (
        f"3 of 5 platforms tracked have a provision of the clause type “{CSAM_NAME}”; "
        "no clause of your draft does."
    )
    assert [p.slug for p in gap.having] == ["alpha", "beta", "gamma"]
    missing_laws = {e.regulation.slug for e in report.engaged_by_missing}
    csam_laws = set(
        ClauseTypeLink.objects.filter(clause_type__slug="csam").values_list(
            "regulation__slug", flat=True
        )
    )
    assert missing_laws == csam_laws and "us-18-usc-2258a" in missing_laws
    # The draft's own clauses engage the laws linked to harassment (and governing law has none).
    engaged = {
        (e.regulation.slug, link.clause_type.slug) for e in report.engaged for link in e.links
    }
    harassment_laws = set(
        ClauseTypeLink.objects.filter(clause_type__slug="harassment-bullying").values_list(
            "regulation__slug", "clause_type__slug"
        )
    )
    assert engaged == harassment_laws and engaged


def test_until_the_worker_stores_the_classifier_the_check_says_it_is_warming_up(
    world, fake_encoder
):
    from comparisons.classify import WarmingUp, _classifiers

    TrainedClassifier.objects.all().delete()
    _classifiers.clear()  # this process loaded it before
    with pytest.raises(WarmingUp):
        check(DRAFT)
    assert fake_encoder.calls == []  # refused before encoding anything
    _classifiers.clear()
