"""Significance on the real history (the shared corpus and the OTA GenAI bundle): each kind
and direction on a known case, and accuracy on the changes labelled by reading."""

import pytest
from django.core.management import call_command

from changes.evaluation import evaluate, load_labels
from changes.models import ProvisionChange
from changes.significance import refresh_changes
from provisions.models import ChangeKind, Document, Version

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def judged(real_data, django_db_blocker):
    """Every document the labelled set or these tests read, judged once (inside the
    real_data transaction, rolled back at the end of the session)."""
    wanted = {(label["platform"], label["document"]) for label in load_labels()}
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
    assert all(
        kind == "technical"
        for change in technical
        for kind in change.version.captures.values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_labelled_changes_accuracy_and_no_substantive_change_called_cosmetic(judged, capsys):
    labels = load_labels()
    assert len(labels) >= 150
    result = evaluate(labels)
    assert not result.missing  # every labelled change is stored, found by its texts' hashes
    call_command("evaluate_changes")
    print(capsys.readouterr().out)  # the confusion table, in the test log
    assert result.substantive_called_cosmetic == 0
    # Measured 0.724 (123/170) when first scored, held out from the rules: the issue's
    # target of 0.9 is not reached (README, "Change significance"). This guards against
    # falling below what was measured.
    assert result.accuracy >= 0.7
