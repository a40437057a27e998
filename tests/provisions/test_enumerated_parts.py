"""Sub-clauses: each part of an inline enumeration is a provision of its own, stored as a
span inside its parent clause, followed across versions and shown within its parent."""

from html import escape

import pytest

from provisions.ingest import import_sources
from provisions.models import Document, Span
from tests.factories import write_acme

pytestmark = pytest.mark.django_db

FIRST = """# Acceptable use

You may not use the service to: (1) create child sexual abuse material; (2) share intimate
images of anyone without their consent; or (3) write malware that attacks computer systems.

- Do not send spam to people.
"""
SECOND = FIRST.replace("write malware that attacks", "write or spread malware that attacks")


@pytest.fixture
def document(tmp_path):
    import_sources([str(write_acme(tmp_path, FIRST, SECOND))])
    return Document.objects.get(platform__slug="acme", slug="aup")


def test_parts_are_stored_as_spans_inside_their_parent(document):
    spans = list(
        Span.objects.filter(version=document.latest_version)
        .select_related("provision", "version")
        .order_by("position")
    )
    assert [(s.provision.kind, s.parent_position) for s in spans] == [
        ("paragraph", None),
        ("part", 0),
        ("part", 0),
        ("part", 0),
        ("item", None),
    ]
    parent = spans[0]
    for part in spans[1:4]:
        assert parent.start <= part.start < part.end <= parent.end
        assert part.text == part.provision.text
        assert part.parent_span() == parent
    assert [s.provision_id for s in parent.part_spans()] == [s.provision_id for s in spans[1:4]]
    assert spans[1].text == "(1) create child sexual abuse material;"


def test_a_reworded_part_keeps_its_record_and_untouched_parts_are_unchanged(document):
    first, second = document.versions.order_by("ordinal")
    before = {s.position: s for s in first.spans.select_related("revision")}
    after = {s.position: s for s in second.spans.select_related("revision")}
    # Same records at every position; only the clause and its third part got a new wording.
    assert {p: s.provision_id for p, s in before.items()} == {
        p: s.provision_id for p, s in after.items()
    }
    new_wording = {p for p in after if after[p].revision_id != before[p].revision_id}
    assert new_wording == {0, 3}


def test_pages_show_a_part_within_its_parent_and_a_parent_with_its_parts(client, document):
    spans = list(Span.objects.filter(version=document.latest_version).order_by("position"))
    parent, part = spans[0].provision, spans[2].provision
    html = client.get(part.get_absolute_url()).content.decode()
    assert f'An enumerated part of <a href="{parent.get_absolute_url()}">' in html
    assert escape(parent.text).replace("\n", "<br>") in html
    html = client.get(parent.get_absolute_url()).content.decode()
    assert "This clause enumerates 3 parts" in html
    for span in spans[1:4]:
        assert span.provision.record_id in html and escape(span.provision.text) in html
    listing = client.get(document.get_absolute_url()).content.decode()
    assert listing.count("provision-part") == 3
