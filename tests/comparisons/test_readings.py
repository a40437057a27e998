"""What the classifier's probabilities are read as (``classifier.read_row``), shared by the
worker and the classify API, and how a category alone is stored and shown."""

import numpy as np
import pytest

from comparisons.classifier import CATEGORY_FLOOR, NO_RULE_FLOOR, read_row
from comparisons.clustering import _classified
from comparisons.models import Assignment, CategoryAssignment
from comparisons.taxonomy import NO_RULE, load_clause_types
from provisions.models import Provision
from tests.factories import ASSIGNMENT_POLICIES, FakeEncoder, import_platforms

SLUGS = ["arbitration", "class-action-waiver", "governing-law", "csam", NO_RULE]
CATEGORIES = {
    "arbitration": "disputes",
    "class-action-waiver": "disputes",
    "governing-law": "disputes",
    "csam": "child-safety",
}


def row(*probabilities):
    return np.asarray(probabilities, dtype=np.float64)


def test_a_type_that_reaches_the_lowest_band_is_chosen_with_its_category():
    reading = read_row(row(0.55, 0.2, 0.1, 0.05, 0.1), SLUGS, CATEGORIES)
    assert (reading.clause_type, reading.band, reading.category) == (
        "arbitration",
        "medium",
        "disputes",
    )
    assert reading.category_score == pytest.approx(0.85)
    assert [slug for slug, _ in reading.ranked] == SLUGS[:4]  # never the no-rule class
    assert reading.states_rule


def test_an_uncertain_choice_between_siblings_keeps_the_category():
    reading = read_row(row(0.25, 0.22, 0.2, 0.13, 0.2), SLUGS, CATEGORIES)
    assert reading.clause_type is None and reading.band is None
    assert reading.category == "disputes" and reading.category_score >= CATEGORY_FLOOR
    spread = read_row(row(0.2, 0.05, 0.05, 0.25, 0.45), SLUGS, CATEGORIES)
    assert spread.clause_type is None and spread.category is None and spread.states_rule


def test_no_rule_wins_only_when_likelier_than_every_type_and_likely_enough():
    sure = read_row(row(0.05, 0.02, 0.02, 0.01, 0.9), SLUGS, CATEGORIES)
    assert not sure.states_rule and sure.clause_type is None and sure.category is None
    assert sure.ranked[0][0] == "arbitration"  # the likeliest type is still told
    unsure = NO_RULE_FLOOR - 0.05
    reading = read_row(row(1 - unsure - 0.02, 0.01, 0.01, 0.0, unsure), SLUGS, CATEGORIES)
    assert reading.states_rule and reading.clause_type == "arbitration"


@pytest.mark.django_db
def test_a_category_alone_is_stored_and_shown_on_the_provision_page(tmp_path, client):
    import_platforms(tmp_path, ASSIGNMENT_POLICIES, document="Policy", source_url=False)
    types = load_clause_types()
    typed, uncertain, heading = Provision.objects.order_by("pk")[:3]
    provisions = [(p.pk, p.text_hash, p.document.platform_id, None) for p in (typed, uncertain)]
    provisions.append((heading.pk, heading.text_hash, heading.document.platform_id, None))
    probabilities = [
        row(0.7, 0.1, 0.1, 0.05, 0.05),
        row(0.25, 0.22, 0.2, 0.13, 0.2),
        row(0.02, 0.02, 0.02, 0.04, 0.9),
    ]
    chosen = {}
    rows, left = _classified(provisions, probabilities, SLUGS, types, {}, chosen, FakeEncoder())
    assert [r.provision_id for r in rows] == [typed.pk] and chosen == {typed.pk: "arbitration"}
    assert left == [1]  # the uncertain one may still cluster; the one stating no rule may not
    stored = CategoryAssignment.objects.get()
    assert (stored.provision_id, stored.category) == (uncertain.pk, "disputes")
    assert [slug for slug, _ in stored.candidates] == [
        "arbitration",
        "class-action-waiver",
        "governing-law",
    ]
    html = client.get(uncertain.get_absolute_url()).content.decode()
    assert "Disputes, arbitration and courts" in html and "no single clause type" in html
    assert f'href="{types["class-action-waiver"].get_absolute_url()}"' in html
    assert not Assignment.objects.filter(provision=uncertain).exists()


@pytest.mark.django_db
def test_a_type_page_says_whom_its_rule_binds(client):
    types = load_clause_types()
    promise = client.get(types["no-training-promise"].get_absolute_url()).content.decode()
    ban = client.get(types["model-extraction"].get_absolute_url()).content.decode()
    assert "Binds or protects: <strong>The provider" in promise
    assert "Binds or protects: <strong>Users" in ban
