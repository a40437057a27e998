"""End to end: `evaluate_clustering --stored` imports two blind platforms through the real
path, a real Celery worker (real model) embeds and assigns them, and the command scores what
was stored."""

import itertools
import json
from io import StringIO

import pytest
from django.core.management import call_command

from comparisons.evaluation import read_blind_set
from provisions.models import Capture, Provision
from regulations.catalog import load_catalog
from tests.factories import start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.realdata, pytest.mark.slow]

SUBSET = ["Kimi AI", "SambaNova"]


def stored_evaluation(*extra) -> dict:
    out = StringIO()
    call_command(
        "evaluate_clustering",
        "--stored",
        "--json",
        *itertools.chain.from_iterable(("--platform", p) for p in SUBSET),
        *extra,
        stdout=out,
    )
    return json.loads(out.getvalue())


@pytest.mark.django_db(transaction=True)
def test_the_stored_evaluation_runs_end_to_end_on_a_real_worker(
    tmp_path, settings, redis_broker, ota_bundle, monkeypatch
):
    settings.ATLAS_EMBED_AFTER_IMPORT = True
    monkeypatch.setenv("ATLAS_OTA_BUNDLE", str(ota_bundle))
    load_catalog()
    log = tmp_path / "worker.log"
    worker = start_worker(redis_broker, log)
    try:
        result = stored_evaluation("--timeout", "1500")
    except Exception:
        print(log.read_text()[-5000:])
        raise
    finally:
        stop_worker(worker)

    blind = read_blind_set()
    items = [item for item in blind["items"] if item["platform"] in SUBSET]
    rule = [item for item in items if item["group"]]
    # Imported through import_sources: the two platforms' documents, from the blind repository.
    paths = {d["path"].removesuffix(".md") for d in blind["documents"]}
    assert set(
        Capture.objects.filter(repository="atlas-blind-set").values_list("path", flat=True)
    ) == {p for p in paths if p.split("/")[0] in SUBSET}
    assert result["items"] == len(items) and result["rule_items"] == len(rule)
    assert result["blind_platforms"] == SUBSET
    # Atlas splits as the set was read: every gold span is a stored provision.
    assert result["span_coverage"]["matched"] == len(items)
    # The gold pairs are the set's own: same rule, different platforms.
    gold_pairs = sum(
        a["group"] == b["group"] and a["platform"] != b["platform"]
        for a, b in itertools.combinations(rule, 2)
    )
    cross = result["pairs"]["cross_platform"]
    assert cross["tp"] + cross["fn"] == gold_pairs > 10
    assert result["pairs"]["blind"] == cross  # both platforms are blind ones
    # The worker assigned what it could: every rule clause has a type or is listed unassigned.
    typed = sum(row["assigned"] for row in result["per_type"].values())
    assert typed > 0
    assert typed + len(result["category_only"]) + len(result["unassigned"]) >= len(rule)
    assert result["links"]["applicable"] is not None
    assert Provision.objects.filter(document__platform__slug="sambanova").exists()

    # What is stored is scored again without importing or waiting: the same figures.
    again = stored_evaluation("--no-import")
    assert again["pairs"] == result["pairs"] and again["unassigned"] == result["unassigned"]
