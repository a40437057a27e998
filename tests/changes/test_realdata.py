"""Significance on the real history (the shared corpus and the OTA GenAI bundle): each kind
and direction on a known case, and accuracy on the changes labelled by reading."""

import pytest
from django.core.management import call_command

from changes.evaluation import HELD_OUT, evaluate, load_sets
from changes.models import ProvisionChange
from changes.significance import refresh_changes
from provisions.models import ChangeKind, Document, Version

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def judged(real_data, django_db_blocker):
    """Every document the labelled set or these tests read, judged once (inside the
    real_data transaction, rolled back at the end of the session)."""
    every = [label for labels in load_sets().values() for label in labels]
    wanted = {(label["platform"], label["document"]) for label in every}
    wanted |= {("stability-ai", "terms-of-service"), ("openai", "usage-policies")}
    with django_db_blocker.unblock():
        for document in Document.objects.select_related("platform"):
            if (document.platform.slug, document.slug) in wanted:
                refresh_changes(document)
    return real_data


def changes(platform, document, **filters):
    return ProvisionChange.objects.filter(
        document__platform__slug=platform, document__slug=document, **filters
    )


@pytest.mark.django_db
def test_stability_ai_footer_only_versions_stay_furniture(judged):
    footer_only = Version.objects.filter(
        document__platform__slug="stability-ai", change_kind=ChangeKind.BOILERPLATE
    )
    assert footer_only.count() >= 6
    # Their text differs only outside the policy (the footer): no provision changed in words.
    assert not (
        ProvisionChange.objects.filter(version__in=footer_only)
        .exclude(significance__in=["cosmetic", "furniture"])
        .exists()
    )


@pytest.mark.django_db
def test_stability_ai_2026_rename_is_wording_and_nothing_in_it_substantive(judged):
    april = changes("stability-ai", "terms-of-service", captured_at__date="2026-04-10")
    renamed = april.filter(rule="renamed")
    assert renamed.exists() and {c.significance for c in renamed} == {"wording"}
    assert "dream" in renamed.first().evidence["words_removed"]
    assert not april.filter(significance="substantive").exists()


@pytest.mark.django_db
def test_fireworks_ai_flips_are_glitches_and_its_cookie_banner_is_furniture(judged):
    privacy = changes("fireworks-ai", "privacy-policy")
    flips = privacy.filter(significance="glitch", rule="capture-flip")
    assert flips.values("glitch").distinct().count() >= 10
    banner = privacy.get(
        action="removed", evidence__before__startswith="We and our 1725 partners use cookies"
    )
    assert (banner.significance, banner.direction) == ("furniture", "neutral")
    assert privacy.filter(significance="substantive").count() <= 2


@pytest.mark.django_db
def test_openai_usage_policy_added_prohibitions_are_substantive_and_more_restrictive(judged):
    added = changes("openai", "usage-policies", action="added", captured_at__date="2025-09-29")
    privacy = added.get(evidence__after__startswith="**Respect privacy**")
    assert (privacy.significance, privacy.direction) == ("substantive", "more_restrictive")
    assert "don't" in privacy.direction_reason or "don’t" in privacy.direction_reason
    removed = changes("openai", "usage-policies", action="removed", captured_at__date="2025-09-29")
    under_13 = removed.get(evidence__before__startswith="Don’t build tools that target users")
    assert (under_13.significance, under_13.direction) == ("substantive", "less_restrictive")
    assert removed.filter(direction="undetermined").exclude(direction_reason="").exists()


@pytest.mark.django_db
def test_openai_2026_apostrophes_are_cosmetic_not_a_wording_change(judged):
    july = changes("openai", "usage-policies", captured_at__date="2026-07-25")
    assert july.exists() and {(c.action, c.significance) for c in july} == {
        ("typographic", "cosmetic")
    }
    version = july.first().version
    assert (version.change_kind, version.revised_count) == (ChangeKind.MARKUP, 0)
    assert all(c.direction == "neutral" for c in july)


@pytest.mark.django_db
def test_technical_upgrades_are_technical(judged):
    technical = ProvisionChange.objects.filter(
        document__platform__slug="murf", significance="technical"
    )
    assert technical.exists()
    # Each such version's text was first recorded by a technical upgrade (a corpus copy of
    # the same commit shares its time); a later capture of the same text may be a change.
    for change in technical:
        captures = list(change.version.captures.order_by("captured_at", "id"))
        first = {c.kind for c in captures if c.captured_at == captures[0].captured_at}
        assert "technical" in first
    # The Midjourney privacy policy version first recorded by "Apply technical or
    # declaration upgrade" (2025-12-19) and captured again as a change (2026-05-18).
    midjourney = ProvisionChange.objects.filter(
        document__platform__slug="midjourney",
        document__slug="privacy-policy",
        version__captured_at__date="2025-12-19",
    )
    assert midjourney.exists() and {c.significance for c in midjourney} == {"technical"}


@pytest.mark.django_db
def test_labelled_changes_accuracy_and_no_substantive_change_called_cosmetic(judged, capsys):
    sets = load_sets()
    assert len(sets["development"]) >= 300 and len(sets[HELD_OUT]) >= 150
    results = {name: evaluate(labels) for name, labels in sets.items()}
    call_command("evaluate_changes")
    print(capsys.readouterr().out)  # the confusion tables, in the test log
    for result in results.values():
        assert not result.missing  # every labelled change is stored, found by its texts' hashes
        assert result.substantive_called_cosmetic == 0
    # Measured at stop 26: development 0.859 (292/340: the first set 0.888, the second 0.829),
    # held out 0.741 (126/170; 0.676 with stop 25's rules). The issue's target of 0.9 is not
    # reached on the held-out set (README, "Change significance"). These guard against falling
    # below what was measured.
    assert results["development"].accuracy >= 0.85
    assert results[HELD_OUT].accuracy >= 0.73
