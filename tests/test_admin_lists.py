"""Every admin changelist names the relations it joins.

A changelist that shows a foreign key without ``list_select_related`` calls
``select_related()`` with no fields, which follows every non-null foreign key, recursively. On
``SimilarProvision`` that was a join of over 12 tables (versions with their texts, documents,
variants, for both provisions), which PostgreSQL plans with its genetic optimizer, at random:
now and then the plan never finished, and CI hung on the admin's changelist (stops 23, 25).
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import ForeignKey
from django.test.utils import CaptureQueriesContext

# Our apps' admins (the token admin is Django REST framework's).
OURS = {
    "alerts",
    "changes",
    "comparisons",
    "datasets",
    "drafts",
    "provisions",
    "regulations",
    "tracking",
}


def showing_a_foreign_key(model_admin) -> bool:
    fields = {f.name: f for f in model_admin.model._meta.get_fields()}
    return any(isinstance(fields.get(name), ForeignKey) for name in model_admin.list_display)


def test_every_changelist_showing_a_foreign_key_names_what_it_joins():
    loose = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if type(model_admin).__module__.split(".")[0] in OURS
        and showing_a_foreign_key(model_admin)
        and model_admin.list_select_related is False
    ]
    assert not loose, f"set list_select_related on {', '.join(loose)}"


@pytest.mark.django_db
def test_the_similar_provisions_changelist_joins_the_two_provisions_only(admin_client):
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get("/admin/comparisons/similarprovision/").status_code == 200
    listed = [q["sql"] for q in queries if 'FROM "comparisons_similarprovision"' in q["sql"]]
    # The two provisions, and the provision again (with its document) for the model's ordering.
    assert listed and max(sql.count(" JOIN ") for sql in listed) <= 4
