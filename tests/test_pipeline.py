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
    assert [step.task for step in steps] == [
        "provisions.embed_documents",
        "comparisons.assign_provisions",
        "regulations.suggest_links",
        "changes.refresh_changes",
        "datasets.build_dataset",
    ]
    assert steps[0].args == ([Document.objects.get(platform__slug="acme").pk],)


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


def test_every_step_of_the_pipeline_is_a_registered_task():
    from atlas.celery import app

    app.loader.import_default_modules()  # the worker's autodiscovery of each app's tasks.py
    names = [step.task for step in pipeline.after_new_versions([1]).tasks]
    assert all(name in app.tasks for name in names)
    # A curation changes no wording, so no provision change: the chain stops after the links.
    assert [step.task for step in pipeline.after_curation().tasks] == names[1:3]
