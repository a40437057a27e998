"""provisions.bulk: the COPY inserts and executemany updates the importer writes with."""

import pytest
from django.utils import timezone

from provisions.bulk import copy_rows, reserve_ids, update_rows
from provisions.ingest import import_sources
from provisions.models import Platform, Provision
from tests.factories import GOOD, write_acme

pytestmark = pytest.mark.django_db


def test_reserved_ids_come_from_the_tables_sequence_and_are_never_handed_out_again():
    reserved = reserve_ids(Platform, 3)
    assert len(set(reserved)) == 3 and reserved == sorted(reserved)
    created = Platform.objects.create(slug="after", name="After")
    assert created.pk > max(reserved)


def test_reserving_no_ids_asks_the_database_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert reserve_ids(Platform, 0) == []


def test_copied_rows_are_stored_with_their_reserved_ids():
    now = timezone.now()
    ids = reserve_ids(Platform, 2)
    rows = [(pk, f"copied-{pk}", f"Cöpied {pk}", "", now, now) for pk in ids]
    columns = ["id", "slug", "name", "website", "created_at", "updated_at"]
    assert copy_rows(Platform, columns, iter(rows)) == 2
    stored = dict(Platform.objects.filter(pk__in=ids).values_list("pk", "name"))
    assert stored == {pk: f"Cöpied {pk}" for pk in ids}


def test_updated_rows_change_only_the_named_columns_and_lists_are_stored_as_json(tmp_path):
    import_sources([str(write_acme(tmp_path, GOOD))])
    first, second = Provision.objects.order_by("pk")
    update_rows(Provision, ["heading_path"], [(first.pk, ["Sécurité", "Règles"])])
    first.refresh_from_db()
    second_before = second.heading_path
    second.refresh_from_db()
    assert first.heading_path == ["Sécurité", "Règles"]
    assert first.text == "Do not generate malware."  # a column not named is left as it was
    assert second.heading_path == second_before


def test_updating_no_rows_asks_the_database_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        update_rows(Provision, ["heading_path"], [])
