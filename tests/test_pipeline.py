"""The pipeline after new versions (atlas.pipeline): declared once, started on commit."""

import pytest

from atlas import pipeline
from provisions.ingest import import_sources
from provisions.models import Document
from tests.factories import GOOD, write_acme


@pytest.mark.django_db
def test_an_import_starts_embed_assign_link_once_it_commits(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    corpus = write_acme(tmp_path, GOOD)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_sources([str(corpus)])
    [start] = callbacks
    steps = start.__self__.tasks  # the chain whose .delay the commit calls
    # Current text first: the wordings in force, assignment, then the rest; GOOD has no
    # removed provision, so assignment does not run a second time.
    assert [step.task for step in steps] == [
        "provisions.embed_documents",
        "comparisons.assign_provisions",
        "provisions.embed_documents",
        "regulations.suggest_links",
        "changes.refresh_changes",
        "alerts.enqueue_alerts",
        "datasets.build_dataset",
    ]
    acme = [Document.objects.get(platform__slug="acme").pk]
    assert steps[0].args == (acme,) and steps[0].kwargs == {"current_only": True}
    assert steps[2].args == (acme,) and steps[2].kwargs == {}


@pytest.mark.django_db
def test_an_unchanged_reimport_starts_nothing(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    corpus = write_acme(tmp_path, GOOD)
    import_sources([str(corpus)])
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_sources([str(corpus)])
    assert callbacks == []


@pytest.mark.django_db  # the chain looks up whether removed provisions wait for embeddings
def test_every_step_of_the_pipeline_is_a_registered_task():
    from atlas.celery import app

    app.loader.import_default_modules()  # the worker's autodiscovery of each app's tasks.py
    names = [step.task for step in pipeline.after_new_versions([1]).tasks]
    assert all(name in app.tasks for name in names)
    # A curation changes no wording, so no provision change: links, then the dataset.
    assert [step.task for step in pipeline.after_curation().tasks] == [
        "comparisons.assign_provisions",
        "regulations.suggest_links",
        "datasets.build_dataset",
    ]


@pytest.mark.django_db
def test_a_removed_provision_waiting_for_its_embedding_makes_assignment_run_again(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    # The second version drops a clause: a removed provision, whose wording is not "in force".
    corpus = write_acme(tmp_path, GOOD, "# Policy\n\n- Do not generate malware.\n")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_sources([str(corpus)])
    [start] = callbacks
    assert [step.task for step in start.__self__.tasks] == [
        "provisions.embed_documents",
        "comparisons.assign_provisions",
        "provisions.embed_documents",
        "comparisons.assign_provisions",
        "regulations.suggest_links",
        "changes.refresh_changes",
        "alerts.enqueue_alerts",
        "datasets.build_dataset",
    ]


@pytest.mark.django_db
def test_incremental_assignment_gets_the_provisions_of_each_step(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    assert pipeline.INCREMENTAL
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    corpus = write_acme(tmp_path, GOOD, "# Policy\n\n- Do not generate malware.\n")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_sources([str(corpus)])
    [start] = callbacks
    steps = start.__self__.tasks
    from provisions.models import Provision

    kept = Provision.objects.get(text="Do not generate malware.")
    removed = Provision.objects.get(text="Do not harass people.")
    # The first step also takes the provision this import removed: its type's matches and
    # coverage still count it.
    assert steps[1].kwargs == {"provision_ids": sorted([kept.pk, removed.pk])}
    assert steps[3].kwargs == {"provision_ids": [removed.pk]}


@pytest.mark.django_db(transaction=True)  # each import its own transaction, as in production
def test_the_first_assignment_step_takes_only_the_removals_of_its_own_import(tmp_path):
    from provisions.models import Provision

    import_sources([str(write_acme(tmp_path / "one", GOOD))])
    second = "# Policy\n\n- Do not generate malware.\n"
    import_sources([str(write_acme(tmp_path / "two", GOOD, second))])
    acme = Document.objects.get(platform__slug="acme")
    removed = Provision.objects.get(text="Do not harass people.")
    assert removed.removed_in_id is not None
    import_sources([str(write_acme(tmp_path / "three", GOOD, second, second + "- Be kind.\n"))])
    # Computed as the pipeline does, inside the import's transaction.
    from django.db import transaction

    with transaction.atomic():
        ids = pipeline.affected_provisions([acme.pk], in_force=True)
    assert removed.pk not in ids  # removed by an earlier import: already accounted for
    assert set(ids) == set(
        Provision.objects.filter(document=acme, removed_in__isnull=True).values_list(
            "pk", flat=True
        )
    )
