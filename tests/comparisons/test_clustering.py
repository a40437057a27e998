import json
import subprocess

import pytest

from comparisons.classifier import confidence_band
from comparisons.evaluation import evaluate, pairwise_scores
from comparisons.models import Binds
from comparisons.taxonomy import LABELS, NO_RULE, read_labels, read_taxonomy


def test_pairwise_scores_count_only_cross_platform_pairs():
    gold = ["a", "a", "a", "b"]
    platforms = ["x", "y", "x", "y"]
    # Perfect prediction: the one same-platform pair (0, 2) is ignored either way.
    assert pairwise_scores(gold, gold, platforms) == (1.0, 1.0, 1.0)
    # Everything in one type: the cross-platform pairs (0,1), (1,2) are right, (0,3), (2,3) wrong.
    precision, recall, _ = pairwise_scores(gold, ["a"] * 4, platforms)
    assert (precision, recall) == (0.5, 1.0)
    # Abstentions are never a predicted match.
    assert pairwise_scores(gold, [None] * 4, platforms)[:2] == (0.0, 0.0)


def test_confidence_bands():
    assert [confidence_band(p) for p in (0.9, 0.5, 0.31, 0.1)] == ["high", "medium", "low", None]


def test_taxonomy_is_complete_and_labels_point_at_exact_spans(corpus_dir, ota_bundle, tmp_path):
    from provisions.parse import segment_contexts, split_provisions

    clone = tmp_path / "ota.git"

    def source(label) -> str:
        """The labelled file: in the corpus, or (with a commit) in the OTA bundle."""
        if "commit" not in label:
            return (corpus_dir / label["path"]).read_text(encoding="utf-8")
        if not clone.exists():
            subprocess.run(
                ["git", "clone", "--quiet", "--bare", "--", str(ota_bundle), str(clone)],
                check=True,
            )
        blob = f"{label['commit']}:{label['path']}"
        return subprocess.run(
            ["git", "--git-dir", str(clone), "cat-file", "blob", blob],
            check=True,
            capture_output=True,
        ).stdout.decode("utf-8")

    taxonomy = read_taxonomy()
    slugs = {t["slug"] for t in taxonomy}
    assert len(slugs) == len(taxonomy) >= 40
    assert len({t["name"] for t in taxonomy}) == len(taxonomy)  # a reader tells them apart
    for clause_type in taxonomy:
        assert clause_type["default_severity"] in {"critical", "high", "medium", "low"}
        assert clause_type["binds"] in Binds.values
        assert len(clause_type["prototypes"]) >= 4 and clause_type["description"]
    labels = read_labels()
    assert len(labels) >= 250
    assert len({label["path"].split("/")[0] for label in labels}) >= 10
    spans = {}
    for label in labels:
        assert label["clause_type"] in slugs | {NO_RULE}
        key = (label["path"], label.get("commit"))
        if key not in spans:
            text = source(label)
            segments = split_provisions(text)
            contexts = segment_contexts(text, segments)
            spans[key] = (
                text,
                {(s.start, s.end): c for s, c in zip(segments, contexts, strict=True)},
            )
        text, segments = spans[key]
        assert text[label["start"] : label["end"]] == label["text"]
        # The context the classifier learns it under is the one a stored clause gets.
        assert segments[(label["start"], label["end"])] == label["context"]
    assert sum(label["clause_type"] == NO_RULE for label in labels) >= 50
    assert json.loads(LABELS.read_text())["taxonomy"] == "comparisons/data/clause_types.json"


@pytest.mark.realdata
def test_clause_types_meet_the_quality_bar_on_the_labelled_set():
    from provisions.embeddings import get_encoder

    result = evaluate(get_encoder())
    print(f"pairwise P {result.precision:.3f} R {result.recall:.3f} F1 {result.f1:.3f}")
    # One rule per type (128 types, since 2026-12-07) is a harder task than the 69 broader
    # types were (0.834 on those). Measured on a fresh install (stop 26) with the product's
    # encoder, ONNX int8: 0.719 (0.737 with the torch runtime of the same model); stop 25
    # reported 0.743, which a fresh install does not reproduce.
    assert result.f1 >= 0.71
    # Types with at least five labelled clauses are mostly right when chosen, and few below
    # 0.6. Measured with ONNX int8 (stop 26): account-sharing, no-refunds and resale at 0.5,
    # and access-circumvention (5 labels) at 0.0; with torch, all four at 0.5 or more
    # (model-extraction instead of access-circumvention).
    supported = [p for p, _, support in result.per_type.values() if support >= 5]
    assert len(supported) >= 60 and sum(p < 0.5 for p in supported) <= 1
    assert sum(p < 0.6 for p in supported) <= 5
    # A clause read as stating no rule rarely states one (measured 0.868, recall 0.607).
    precision, recall, support = result.no_rule
    assert support >= 150 and precision >= 0.8 and recall >= 0.4
