import numpy as np
import pytest

from provisions.models import TextEmbedding
from regulations import mapping, tasks
from regulations.models import Regulation, SuggestedLink
from regulations.queries import (
    applicable_by_provision,
    applicable_regulations,
    provisions_addressing,
    suggested_regulations,
)
from tests.factories import embed_texts

# The delta platform's clause in the regulations world (tests/regulations/conftest.py).
DEEPFAKE_TEXT = (
    "Do not create realistic synthetic or manipulated audio, image or video depicting real people."
)


def test_rank_suggestions_takes_each_regulations_closest_topic_and_skips_excluded():
    regulations_of = {10: [(1, True), (2, False)], 20: [(2, False), (3, True)], 30: [(4, True)]}
    scores = np.array([0.5, 0.8, 0.2])  # topics 10, 20, 30
    ranked = mapping.rank_suggestions(scores, [10, 20, 30], regulations_of, exclude={3})
    assert [(r, t) for r, t, _ in ranked] == [(2, 20), (1, 10)]
    assert all(score >= mapping.MIN_SCORE for _, _, score in ranked)  # topic 30 is too far
    many = {10: [(n, n % 2 == 0) for n in range(20)]}
    ranked = mapping.rank_suggestions(np.array([0.9]), [10], many, exclude=set())
    assert len(ranked) == mapping.PER_PROVISION
    assert [r for r, _, _ in ranked] == [0, 2, 4, 6, 8]  # live law first at equal score


@pytest.mark.django_db
def test_suggestions_come_from_topics_and_are_never_applicable(catalog, world, fake_encoder):
    provisions = world["provisions"]
    embed_texts(provisions.values(), fake_encoder)
    result = mapping.suggest_links(encoder=fake_encoder)
    assert result["provisions"] == len(provisions)
    deepfake = provisions[DEEPFAKE_TEXT]
    suggested = suggested_regulations(deepfake)
    assert suggested and {s.topic.slug for s in suggested} == {"deepfakes"}
    assert all(s.score >= mapping.MIN_SCORE for s in suggested)
    assert all("deepfakes" in {t.slug for t in s.regulation.topics.all()} for s in suggested)
    assert applicable_regulations(deepfake) == []
    for suggestion in suggested:
        assert not provisions_addressing(suggestion.regulation).filter(pk=deepfake.pk).exists()
    applicable = applicable_by_provision([p.pk for p in provisions.values()])
    for link in SuggestedLink.objects.all():
        assert link.regulation_id not in {a.regulation.pk for a in applicable[link.provision_id]}
        assert link.model_name == fake_encoder.name


@pytest.mark.django_db
def test_the_task_replaces_suggestions_and_is_idempotent(catalog, world, fake_encoder):

    embed_texts(world["provisions"].values(), fake_encoder)
    stale = SuggestedLink.objects.create(
        provision=world["provisions"][DEEPFAKE_TEXT],
        regulation=Regulation.objects.get(slug="eu-gdpr"),
        topic=Regulation.objects.get(slug="eu-gdpr").topics.first(),
        score=0.99,
        model_name="an-older-run",
    )
    first = tasks.suggest_links()
    rows = set(SuggestedLink.objects.values_list("provision", "regulation", "topic", "score"))
    assert first["suggested"] == len(rows) > 0
    assert not SuggestedLink.objects.filter(pk=stale.pk).exists()
    embeddings = TextEmbedding.objects.count()
    assert tasks.suggest_links() == first
    assert (
        set(SuggestedLink.objects.values_list("provision", "regulation", "topic", "score")) == rows
    )
    assert TextEmbedding.objects.count() == embeddings  # topic vectors came from the store


@pytest.mark.django_db
def test_no_topics_no_suggestions(fake_encoder):
    assert mapping.suggest_links(encoder=fake_encoder) == {"provisions": 0, "suggested": 0}


@pytest.mark.django_db
def test_assignment_is_followed_by_suggestions_in_the_pipeline_not_by_the_task(
    catalog, world, fake_encoder
):
    """Each task runs one step; the chain in atlas.pipeline runs assign → suggest links."""
    from atlas import pipeline
    from atlas.celery import app
    from comparisons import tasks as comparison_tasks
    from comparisons.models import Assignment

    app.loader.import_default_modules()  # every app's tasks, as a worker has them: the chain
    # names its steps, and alone this test would find datasets' not yet registered
    embed_texts(world["provisions"].values(), fake_encoder)
    app.conf.task_always_eager = True  # anything the task enqueued would run right here
    try:
        comparison_tasks.assign_provisions()
    finally:
        app.conf.task_always_eager = False
    assert Assignment.objects.exists() and not SuggestedLink.objects.exists()
    pipeline.after_curation().apply()
    deepfake = world["provisions"][DEEPFAKE_TEXT]
    assert SuggestedLink.objects.filter(provision=deepfake).exists()
