"""changes.significance: provision changes stored per version, glitches, curations, and the
one count of added / removed / reworded shared by the history, the diff and the API."""

import pytest

from changes.models import ProvisionChange
from changes.significance import refresh_changes
from provisions.diff import diff_versions
from provisions.ingest import import_sources
from provisions.models import ChangeKind, Document
from tests.factories import write_acme

A = (
    "# Policy\n\n- Do not generate malware.\n- Do not harass people.\n"
    "- You can't resell access to the service.\n- Label automated accounts clearly.\n"
)
B = (
    "# Policy\n\n- Do not generate malware or ransomware.\n- Do not harass people.\n"
    "- You can’t resell access to the service.\n- Label automated accounts clearly.\n"
    "- Do not use the service to impersonate real people.\n"
)


def acme(tmp_path, *texts):
    import_sources([str(write_acme(tmp_path, *texts))])
    document = Document.objects.get(platform__slug="acme")
    refresh_changes(document)
    return document


def changes_of(document):
    return {
        (c.action, c.evidence["after"] or c.evidence["before"]): c
        for c in ProvisionChange.objects.filter(document=document)
    }


@pytest.mark.django_db
def test_each_change_gets_significance_direction_rule_and_evidence(tmp_path):
    document = acme(tmp_path, A, B)
    changes = changes_of(document)
    assert set(changes) == {
        ("reworded", "Do not generate malware or ransomware."),
        ("typographic", "You can’t resell access to the service."),
        ("added", "Do not use the service to impersonate real people."),
    }
    added = changes[("added", "Do not use the service to impersonate real people.")]
    assert (added.significance, added.direction, added.rule) == (
        "substantive",
        "more_restrictive",
        "rule",
    )
    curly = changes[("typographic", "You can’t resell access to the service.")]
    assert (curly.significance, curly.rule, curly.direction) == (
        "cosmetic",
        "typographic",
        "neutral",
    )
    assert curly.evidence["before"] == "You can't resell access to the service."
    broadened = changes[("reworded", "Do not generate malware or ransomware.")]
    assert broadened.significance == "substantive"
    assert broadened.evidence["words_added"] == ["or", "ransomware"]
    assert broadened.previous_version.ordinal == 1 and broadened.version.ordinal == 2


@pytest.mark.django_db
def test_history_diff_and_api_count_added_removed_reworded_alike(tmp_path, client):
    document = acme(tmp_path, A, B)
    old, new = document.versions.order_by("ordinal")
    diff = diff_versions(old, new)
    counts = (len(diff.added), len(diff.removed), len(diff.reworded))
    assert counts == (new.added_count, new.removed_count, new.revised_count) == (1, 0, 1)
    assert len(diff.typographic) == 1  # the curly apostrophe: not a rewording
    [api] = client.get("/api/v1/changes/").json()["results"]
    assert (api["added_count"], api["removed_count"], api["revised_count"]) == counts


@pytest.mark.django_db
def test_a_typography_only_version_is_not_a_wording_change(tmp_path):
    document = acme(tmp_path, A, A.replace("can't", "can’t"))
    new = document.versions.get(ordinal=2)
    assert (new.change_kind, new.revised_count) == (ChangeKind.MARKUP, 0)
    [change] = ProvisionChange.objects.filter(document=document)
    assert (change.action, change.significance) == ("typographic", "cosmetic")


@pytest.mark.django_db
def test_a_flip_a_b_a_is_one_glitch_and_not_a_removal_and_readdition(tmp_path):
    document = acme(tmp_path, A, B, A)
    changes = ProvisionChange.objects.filter(document=document)
    assert {c.significance for c in changes} == {"glitch"}
    assert {c.glitch for c in changes} == {f"G-{document.versions.get(ordinal=2).pk}"}
    assert {c.rule for c in changes} == {"capture-flip"}
    assert not changes.substantive().exists()


@pytest.mark.django_db
def test_after_a_glitch_the_next_version_is_compared_with_the_one_before_it(tmp_path):
    c = A + "- Keep your API keys secret.\n"
    document = acme(tmp_path, A, B, A, c)
    last = document.versions.get(ordinal=3)
    [change] = ProvisionChange.objects.filter(version=last)
    assert (change.action, change.previous_version.ordinal) == ("added", 1)
    assert change.evidence["after"] == "Keep your API keys secret."


@pytest.mark.django_db
def test_a_curators_correction_survives_recomputation(tmp_path):
    document = acme(tmp_path, A, B)
    change = ProvisionChange.objects.get(document=document, action="typographic")
    change.curated_significance = "wording"
    change.curated_direction = "neutral"
    change.curator_note = "Checked by reading."
    change.save()
    refresh_changes(document)
    refresh_changes(document)
    change.refresh_from_db()
    assert (change.significance, change.curated_significance, change.effective_significance) == (
        "cosmetic",
        "wording",
        "wording",
    )
    assert ProvisionChange.objects.filter(document=document).count() == 3


@pytest.mark.django_db
def test_recomputing_is_idempotent_and_drops_changes_no_longer_found(tmp_path):
    document = acme(tmp_path, A, B)
    first = sorted(ProvisionChange.objects.values_list("pk", "significance", "rule"))
    assert refresh_changes(document) == 3
    assert sorted(ProvisionChange.objects.values_list("pk", "significance", "rule")) == first
