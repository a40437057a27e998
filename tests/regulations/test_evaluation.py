import json

import pytest
from django.core.management import CommandError, call_command

from regulations.evaluation import EvaluationError, evaluate_links

pytestmark = pytest.mark.django_db

PATH = "alpha/policy/2025-01-01.md"
CSAM_TEXT = "Do not generate child sexual abuse material."


def pair(regulation, expected, text=CSAM_TEXT, path=PATH):
    return {"path": path, "text": text, "regulation": regulation, "expected": expected}


def test_each_pair_is_counted_once_against_the_applicable_links(world):
    result = evaluate_links(
        [
            pair("us-csam", True),  # linked through the clause type: true positive
            pair("eu-csam", False),  # linked, but labelled unrelated: false positive
            pair("us-other", True),  # not linked, labelled related: false negative
            pair("us-bill", False),  # neither: true negative
        ]
    )
    assert (result.tp, result.fp, result.fn, result.tn) == (1, 1, 1, 1)
    assert (result.precision, result.recall) == (0.5, 0.5)
    assert (result.provisions, result.assigned) == (1, 1)
    assert [kind for kind, _ in result.errors] == ["false positive", "false negative"]


def test_unstored_clauses_or_unknown_regulations_stop_the_evaluation(world):
    with pytest.raises(EvaluationError, match="1 labelled provisions are not stored"):
        evaluate_links([pair("us-csam", True, text="A clause no platform has.")])
    with pytest.raises(EvaluationError, match="unknown regulations"):
        evaluate_links([pair("eu-nothing", True)])


def test_the_command_refuses_to_report_on_clauses_it_cannot_find(tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"pairs": [pair("eu-dsa", True, path="nowhere/x/2025.md")]}))
    with pytest.raises(CommandError, match="1 labelled provisions are not stored"):
        call_command("evaluate_regulations", labels=labels)
