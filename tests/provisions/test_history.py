"""provisions.history: a document's history, derived from its stored spans and captures."""

import pytest

from provisions.history import refresh_history
from provisions.ingest import import_sources
from provisions.models import ChangeKind, Document, Provision, Version
from tests.factories import ACME, write_acme, write_corpus

pytestmark = pytest.mark.django_db

HARASS = "Do not harass, threaten, intimidate or bully other people on our services."
FIRST = f"# Policy\n\n- Do not spam.\n- {HARASS}\n"
LATER = [  # markup, boilerplate, wording and substantive changes, in this order
    f"# Policy\n\n- Do **not** spam.\n- {HARASS}\n",
    f"# Our policy\n\n- Do **not** spam.\n- {HARASS}\n",
    f"# Our policy\n\n- Do **not** spam.\n- {HARASS.replace('other', 'any other')}\n",
    f"# Our policy\n\n- Do not spam.\n- {HARASS.replace('other', 'any other')}\n- Be kind.\n",
]


def acme():
    return Document.objects.get(platform__slug="acme")


def test_each_version_gets_its_order_kind_and_counts(tmp_path):
    import_sources([str(write_acme(tmp_path, FIRST, *LATER))])
    versions = list(acme().versions.order_by("captured_at"))
    assert [v.ordinal for v in versions] == [1, 2, 3, 4, 5]
    kinds = [v.change_kind for v in versions]
    assert kinds == ["first", "markup", "boilerplate", "wording", "substantive"]
    counts = [(v.added_count, v.removed_count, v.revised_count) for v in versions]
    assert counts == [(2, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 1), (1, 0, 0)]
    assert acme().latest_version_id == versions[-1].pk


def test_derived_fields_spoiled_by_hand_are_recomputed_from_the_spans(tmp_path):
    import_sources([str(write_acme(tmp_path, FIRST, FIRST + "- Label bots.\n", FIRST))])
    expected_versions = list(Version.objects.order_by("pk").values())
    expected_provisions = list(Provision.objects.order_by("pk").values())
    Version.objects.update(ordinal=9, change_kind=ChangeKind.TECHNICAL, added_count=7)
    Provision.objects.update(removed_in=None, revision_count=5, heading_path=["Wrong"])
    Document.objects.update(latest_version=None)
    refresh_history(acme())
    assert list(Version.objects.order_by("pk").values()) == expected_versions
    assert list(Provision.objects.order_by("pk").values()) == expected_provisions
    assert acme().latest_version_id is not None


def test_a_text_captured_again_is_in_force_again(tmp_path):
    """A, B, A: the clause only B had was removed by the second A, and none of A's is."""
    bots = FIRST + "- Label bots.\n"
    import_sources([str(write_acme(tmp_path, FIRST, bots, FIRST))])
    a, b = acme().versions.order_by("ordinal")
    labelled = Provision.objects.get(text="Label bots.")
    assert (labelled.first_version, labelled.last_version, labelled.removed_in) == (b, b, a)
    kept = Provision.objects.exclude(pk=labelled.pk)
    assert kept.count() == 2 and not kept.filter(removed_in__isnull=False).exists()
    assert acme().latest_version == a


def test_a_version_seen_only_in_technical_captures_is_a_technical_change(tmp_path):
    write_corpus(tmp_path, {ACME: {"2025-01-01": FIRST, "2025-01-02": FIRST + "- Be kind.\n"}})
    import_sources([str(tmp_path)])
    document = acme()
    second = document.versions.get(ordinal=2)
    assert second.change_kind == ChangeKind.SUBSTANTIVE
    second.captures.update(kind="technical")
    refresh_history(document)
    second.refresh_from_db()
    assert second.change_kind == ChangeKind.TECHNICAL


def test_a_document_without_versions_is_left_alone(django_assert_num_queries):
    from provisions.models import Platform

    platform = Platform.objects.create(slug="empty", name="Empty")
    document = Document.objects.create(platform=platform, slug="aup", name="AUP")
    with django_assert_num_queries(1):
        refresh_history(document)
