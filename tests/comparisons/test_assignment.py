import numpy as np
import pytest

from comparisons.clustering import assign_provisions
from comparisons.models import Assignment, ClauseType, SimilarProvision
from provisions.embeddings import embed_pending
from provisions.models import Provision
from tests.factories import (
    ASSIGNMENT_POLICIES,
    curate,
    embed_platforms,
    import_kangaroo_platforms,
    import_platforms,
)


@pytest.fixture
def two_platforms(tmp_path):
    import_platforms(tmp_path, ASSIGNMENT_POLICIES, document="Policy", source_url=False)
    return Provision.objects.all()


@pytest.mark.django_db
def test_assignment_and_matches_are_explained_and_stay_within_a_type(two_platforms, fake_encoder):
    embed_platforms(fake_encoder, ASSIGNMENT_POLICIES)
    result = assign_provisions(encoder=fake_encoder)
    assert result["assigned"] + result["unassigned"] >= 6
    assert ClauseType.objects.filter(discovered=False).count() >= 40
    assert Assignment.objects.filter(provision__in=two_platforms).count() >= 2
    assert SimilarProvision.objects.exists()
    for assignment in Assignment.objects.select_related("clause_type", "runner_up"):
        assert assignment.confidence in {"high", "medium", "low"}
        assert assignment.score >= 0.3 and assignment.runner_up_score <= assignment.score
        assert assignment.severity == assignment.clause_type.default_severity
        assert assignment.clause_type.name in assignment.severity_rule
    for match in SimilarProvision.objects.select_related("provision__document", "other__document"):
        assert match.provision.document.platform_id != match.other.document.platform_id
        assert (
            Assignment.objects.get(provision=match.provision).clause_type_id
            == Assignment.objects.get(provision=match.other).clause_type_id
        )
    from comparisons.models import Coverage

    for coverage in Coverage.objects.all():
        assert (
            coverage.provision_count
            == Assignment.objects.filter(
                clause_type=coverage.clause_type,
                provision__document__platform=coverage.platform,
                provision__removed_in__isnull=True,
            ).count()
        )
    assert Coverage.objects.exists()
    counts = (Assignment.objects.count(), SimilarProvision.objects.count())
    assign_provisions(encoder=fake_encoder)
    assert (Assignment.objects.count(), SimilarProvision.objects.count()) == counts


@pytest.mark.django_db
def test_curated_assignments_survive_reassignment(two_platforms, fake_encoder):
    embed_platforms(fake_encoder, ASSIGNMENT_POLICIES)
    assign_provisions(encoder=fake_encoder)
    provision = two_platforms.get(text="Users must be 18 or older.")
    indemnity = ClauseType.objects.get(slug="indemnity")
    curate(provision, indemnity, severity_rule="set by a curator")
    assign_provisions(encoder=fake_encoder)
    kept = Assignment.objects.get(provision=provision)
    assert (kept.basis, kept.clause_type_id) == ("curated", indemnity.pk)


USAGE_POLICIES = [
    ("stability-ai", "acceptable-use-policy"),
    ("openai", "usage-policies"),
    ("anthropic", "usage-policy"),
    ("google", "generative-ai-prohibited-use-policy"),
    ("meta", "llama-acceptable-use-policy"),
    ("mistral-ai", "usage-policy"),
    ("amazon", "aws-acceptable-use-policy"),
    ("berget-ai", "acceptable-use-policy"),
]


@pytest.mark.realdata
@pytest.mark.django_db
def test_stability_csam_clause_matches_child_safety_clauses_only(real_data):
    from provisions.embeddings import get_encoder
    from provisions.models import Document

    encoder = get_encoder()
    for platform, slug in USAGE_POLICIES:
        document = Document.objects.get(platform__slug=platform, slug=slug)
        embed_pending(encoder=encoder, document_ids=[document.pk])
    assign_provisions(encoder=encoder)
    csam = Provision.objects.get(
        document__platform__slug="stability-ai",
        text="child sexual abuse material (CSAM), sexual exploitation, grooming, or trafficking "
        "of minors.",
    )
    assert csam.assignment.clause_type.slug == "csam"
    matches = list(csam.similar.select_related("other__assignment__clause_type"))
    assert len(matches) >= 3
    child_safety = {"csam", "child-exploitation", "csam-reporting", "minor-harmful-content"}
    for match in matches:
        assert match.other.assignment.clause_type.slug in child_safety
        text = match.other.text.lower()
        for unrelated in ("terror", "reverse engineer", "circumvent", "decompile"):
            assert unrelated not in text


@pytest.mark.django_db
def test_provision_page_explains_its_type_matches_and_coverage(
    client, two_platforms, fake_encoder, django_assert_max_num_queries
):
    from provisions.models import Platform

    embed_platforms(fake_encoder, ASSIGNMENT_POLICIES)
    assign_provisions(encoder=fake_encoder)
    match = SimilarProvision.objects.select_related("provision", "other__document__platform")[0]
    assignment = Assignment.objects.get(provision=match.provision)
    tracked = Platform.objects.filter(documents__versions__isnull=False).distinct().count()
    # 12, and 2 for the enumeration (the clause it is part of, and its parts)
    with django_assert_max_num_queries(14):
        html = client.get(match.provision.get_absolute_url()).content.decode()
    assert assignment.clause_type.name in html
    assert f"of {tracked} platforms tracked have a provision of this clause type" in html
    assert match.other.document.platform.name in html
    assert f"similarity {match.similarity:.2f}" in html
    assert "by rule: default severity of the clause type" in html


@pytest.mark.django_db
def test_unfitting_clauses_form_a_discovered_type_that_keeps_curator_edits(tmp_path, fake_encoder):
    import_kangaroo_platforms(tmp_path, fake_encoder)
    assert assign_provisions(encoder=fake_encoder)["discovered"] == 3
    discovered = ClauseType.objects.get(discovered=True)
    assert discovered.name == "Discovered: zookeepers, kangaroo, feeding"
    assert discovered.assignments.count() == 3
    assert {a.basis for a in discovered.assignments.all()} == {"cluster"}
    discovered.name = "Zoo feeding rotas"  # a curator names it
    discovered.save()
    assign_provisions(encoder=fake_encoder)
    again = ClauseType.objects.get(discovered=True)
    assert (again.pk, again.name) == (discovered.pk, "Zoo feeding rotas")
    assert again.assignments.count() == 3


@pytest.mark.django_db
def test_discovered_types_of_other_scripts_get_ascii_slugs_and_every_slug_has_a_page(
    tmp_path, fake_encoder, client
):
    from comparisons.discovery import _discovered_type

    english = _discovered_type(set(), {}, ["Kangaroo feeding rotas.", "Kangaroo feeding days."])
    assert english.slug == "discovered-kangaroo-feeding-rotas"  # English words: as before
    # Chinese words (as in the OTA history) and an apostrophe outside ASCII.
    texts = ["袋鼠 饲养员 喂食 customer’s 时间表", "袋鼠 饲养员 喂食 customer’s 规则"]
    chinese = _discovered_type(set(), {}, texts)
    assert chinese.slug.startswith("discovered-") and chinese.slug.isascii()
    assert chinese.slug != english.slug and "饲养员" in chinese.name  # named in its own words
    assert _discovered_type(set(), {}, texts).pk == chinese.pk  # the same words, the same type
    # A slug made before slugs were ASCII still has a page, and so does a compare table.
    import_kangaroo_platforms(tmp_path, fake_encoder)
    assign_provisions(encoder=fake_encoder)
    old_style = "discovered-customer’s-袋鼠"
    assigned = Assignment.objects.get(provision__document__platform__slug="gamma")
    ClauseType.objects.filter(pk=assigned.clause_type_id).update(slug=old_style)
    url = ClauseType.objects.get(slug=old_style).get_absolute_url()
    assert client.get(url).status_code == 200
    response = client.get("/compare/?platforms=gamma,delta")
    assert response.status_code == 200 and f'href="/clause-types/{old_style}/"' in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_the_web_process_never_trains_the_classifier_and_says_it_is_warming_up(
    client, fake_encoder, monkeypatch
):
    from comparisons import classifier, classify

    monkeypatch.setattr(classify, "_classifiers", {})

    def post():
        text = {"text": "Do not generate child sexual abuse material."}
        return client.post("/api/v1/classify/", text, content_type="application/json")

    response = post()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.json()
    assert "warming up" in body["detail"]
    assert body["progress"] == {"embedded": 0, "total": body["progress"]["total"]}
    assert body["progress"]["total"] > 1000  # the prototypes and the labelled clauses
    assert fake_encoder.calls == []  # the taxonomy was not encoded in this process
    assert classifier.train_stored_classifier(encoder=fake_encoder) is True  # the worker's
    assert classifier.train_stored_classifier(encoder=fake_encoder) is False  # stored once

    def no_training(**kwargs):
        raise AssertionError("the web process trained the classifier")

    monkeypatch.setattr(classifier, "train_classifier", no_training)
    fake_encoder.calls.clear()
    response = post()
    assert response.status_code == 200 and response.json()["clause_type"]["slug"] == "csam"
    assert fake_encoder.calls == [["Do not generate child sexual abuse material."]]


@pytest.mark.django_db
def test_the_stored_classifier_scores_as_the_trained_one(fake_encoder):
    from sklearn.linear_model import LogisticRegression

    from comparisons.classifier import load_classifier, store_classifier, train_classifier

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    slugs = ["a", "b", "c", "unseen"]
    label_slugs = [slugs[i % 3] for i in range(60)]
    trained = train_classifier(
        slugs=slugs, prototype_vectors={}, label_vectors=vectors, label_slugs=label_slugs
    )
    store_classifier("m", "d" * 64, trained)
    loaded = load_classifier("m", "d" * 64)
    reference = LogisticRegression(C=32.0, max_iter=3000).fit(vectors, [i % 3 for i in range(60)])
    probe = rng.normal(size=(5, 8))
    np.testing.assert_allclose(loaded.probabilities(probe)[:, :3], reference.predict_proba(probe))
    assert (loaded.probabilities(probe)[:, 3] == 0).all()
    assert load_classifier("m", "e" * 64) is None  # another taxonomy: not this classifier


@pytest.mark.realdata
@pytest.mark.django_db
def test_consent_fragments_and_a_no_training_promise_are_not_taken_for_bans(real_data):
    """Issue 11: privacy-policy items naming consent as a legal basis were NCII bans, and
    Cursor's promise not to train on content was a model-extraction restriction."""
    from provisions.embeddings import get_encoder

    fragments = {
        ("Bardeen", "With Your Consent"),
        ("Wordtune", "Consent (in some contexts)"),
        ("GitHub", "or with your consent."),
    }
    promise = ("Cursor", "ANYSPHERE WILL NOT USE CONTENT TO TRAIN")
    found = {}
    for platform, text in [*fragments, promise]:
        found[(platform, text)] = (
            Provision.objects.filter(
                document__platform__name__startswith=platform, text__contains=text
            )
            .order_by("-last_version__ordinal")
            .first()
        )
        assert found[(platform, text)] is not None, (platform, text)
    encoder = get_encoder()
    embed_pending(encoder=encoder, document_ids=list({p.document_id for p in found.values()}))
    assign_provisions(encoder=encoder)
    for key in fragments:
        assignment = Assignment.objects.filter(provision=found[key]).first()
        assert assignment is None or assignment.clause_type.slug != "ncii", key
    cursor = Assignment.objects.filter(provision=found[promise]).first()
    assert cursor is None or cursor.clause_type.slug != "model-extraction"
    # No other platform's NCII match is one of these fragments either.
    assert not SimilarProvision.objects.filter(
        other__in=found.values(), other__assignment__clause_type__slug="ncii"
    ).exists()
