"""Incremental assignment (issue 16): a new document's provisions are assigned with the stored
classifier and only the clause types they leave or join get new matches and coverage, with the
same result as re-assigning the whole corpus (discovery aside: see ``assign_some``)."""

import pytest

from comparisons.clustering import assign_provisions
from comparisons.models import Assignment, Coverage, SimilarProvision, TrainedClassifier
from provisions.models import Provision
from tests.factories import (
    ASSIGNMENT_POLICIES,
    embed_platforms,
    import_kangaroo_platforms,
    import_platforms,
)

NEW = {
    "zeta": "# Zeta rules\n\n- Never generate sexual material involving children.\n"
    "- These terms are governed by the laws of California.\n"
    "- Kangaroo zookeepers shall not skip kangaroo feeding rotas at zeta.\n"
    "- You must be 18 years or older to use Zeta.\n"
}


def snapshot():
    """What a page shows of assignment: each provision's type and basis (and the classifier's
    score), its ranked matches, and the coverage counts."""
    assignments = {
        (a.provision_id, a.clause_type_id, a.basis, a.confidence if a.basis != "cluster" else "")
        + ((a.score, a.runner_up_id) if a.basis == "classifier" else ())
        for a in Assignment.objects.all()
    }
    similar = set(SimilarProvision.objects.values_list("provision_id", "other_id", "rank"))
    coverage = set(Coverage.objects.values_list("clause_type_id", "platform_id", "provision_count"))
    return assignments, similar, coverage


@pytest.fixture
def corpus(tmp_path, fake_encoder):
    import_platforms(tmp_path / "first", ASSIGNMENT_POLICIES, document="Policy", source_url=False)
    embed_platforms(fake_encoder, ASSIGNMENT_POLICIES)
    import_kangaroo_platforms(tmp_path / "zoo", fake_encoder)
    assign_provisions(encoder=fake_encoder)  # trains and stores the classifier
    import_platforms(tmp_path / "new", NEW, document="Policy", source_url=False)
    embed_platforms(fake_encoder, NEW)
    return list(
        Provision.objects.filter(document__platform__slug="zeta").values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_a_new_document_assigned_alone_ends_as_a_full_run_would(corpus, fake_encoder):
    entered = set(
        Assignment.objects.filter(provision_id__in=corpus).values_list("clause_type", flat=True)
    )
    before = {
        row.pk: row.provision.assignment.clause_type_id
        for row in SimilarProvision.objects.select_related("provision__assignment")
    }
    result = assign_provisions(encoder=fake_encoder, provision_ids=corpus)
    assert result["assigned"] == len(corpus)  # the kangaroo clause joined the discovered type
    assert result["discovered"] == 1
    kangaroo = Assignment.objects.get(provision__text__startswith="Kangaroo", provision__in=corpus)
    assert kangaroo.clause_type.discovered and kangaroo.basis == "cluster"
    entered |= set(
        Assignment.objects.filter(provision_id__in=corpus).values_list("clause_type", flat=True)
    )
    # Matches of the types no new provision entered or left were not rewritten.
    untouched = {pk for pk, type_id in before.items() if type_id not in entered}
    assert untouched and untouched <= set(SimilarProvision.objects.values_list("pk", flat=True))
    incremental = snapshot()
    assign_provisions(encoder=fake_encoder)
    assert snapshot() == incremental


@pytest.mark.django_db
def test_matches_of_existing_provisions_take_in_the_new_ones(corpus, fake_encoder):
    assign_provisions(encoder=fake_encoder, provision_ids=corpus)
    # Existing provisions now list new ones among their closest on other platforms.
    assert (
        SimilarProvision.objects.filter(other_id__in=corpus)
        .exclude(provision_id__in=corpus)
        .exists()
    )
    assert SimilarProvision.objects.filter(provision_id__in=corpus).exists()


@pytest.mark.django_db
def test_without_a_stored_classifier_the_whole_corpus_is_assigned(corpus, fake_encoder):
    TrainedClassifier.objects.all().delete()
    Assignment.objects.all().delete()
    result = assign_provisions(encoder=fake_encoder, provision_ids=corpus)
    assert result["assigned"] > len(corpus)
    assert TrainedClassifier.objects.exists()
    assert Assignment.objects.exclude(provision_id__in=corpus).exists()
