import pytest

from bench.scale_data import ScaleDataError, write_scale_data
from comparisons.models import Assignment, Coverage, SimilarProvision
from provisions.models import Document, Platform, Provision, Span, Version

pytestmark = pytest.mark.django_db


def test_scale_data_is_marked_synthetic_and_consistent():
    write_scale_data(platforms=4, provisions=200)
    platforms = Platform.objects.filter(slug__startswith="synthetic-")
    assert platforms.count() == 4
    assert all(p.name.startswith("Synthetic ") for p in platforms)
    provisions = Provision.objects.filter(document__platform__in=platforms)
    assert provisions.count() == 200
    # Every span is the exact text of its provision's wording, cut from the version.
    spans = Span.objects.filter(provision__in=provisions).select_related("version", "revision")
    assert spans.count() >= 200
    for span in spans[:500]:
        assert span.version.text[span.start : span.end] == span.revision.text
    documents = Document.objects.filter(platform__in=platforms)
    assert documents.count() >= 4 and all(d.latest_version.ordinal == 2 for d in documents)
    versions = Version.objects.filter(document__platform__in=platforms)
    assert versions.count() == 2 * documents.count()
    for version in versions:
        assert version.verify()
        assert ".invalid/" in version.source_url
    assert provisions.filter(removed_in__isnull=False).exists()
    assert Assignment.objects.filter(provision__in=provisions).count() == 200
    matches = SimilarProvision.objects.select_related("provision__document", "other__document")
    assert matches.exists()
    for match in matches:
        assert match.provision.document.platform_id != match.other.document.platform_id
        assert match.provision.assignment.clause_type_id == match.other.assignment.clause_type_id
    live = provisions.filter(removed_in__isnull=True).count()
    assert sum(Coverage.objects.values_list("provision_count", flat=True)) == live


def test_scale_data_refuses_to_run_twice():
    write_scale_data(platforms=2, provisions=8)
    with pytest.raises(ScaleDataError, match="already exist"):
        write_scale_data(platforms=2, provisions=8)


def test_scale_data_at_sizes_where_neighbour_offsets_wrap():
    # 26 provisions per clause type: two of the neighbour offsets land on the same provision.
    write_scale_data(platforms=13, provisions=26 * 69)
    pairs = SimilarProvision.objects.values_list("provision_id", "other_id")
    assert len(pairs) == len(set(pairs)) > 0
