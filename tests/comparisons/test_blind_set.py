"""The blind set: how it is scored (hand-made examples), that it stays out of training, and
that it is what it says it is (platforms in no training label, exact spans of the bundle)."""

import json
import sys
from pathlib import Path

import pytest

from comparisons import classifier
from comparisons.evaluation import (
    BLIND_SET,
    GoldItem,
    StoredItem,
    best_span,
    gold_items,
    read_blind_set,
    score_blind,
    span_overlap,
)
from comparisons.taxonomy import read_labels, read_taxonomy
from provisions.parse import normalize_text, split_provisions

SEEDS = Path(__file__).resolve().parents[2] / "provisions" / "seeds" / "sources.json"


def test_span_matching_takes_the_stored_span_that_overlaps_most():
    assert span_overlap((10, 20), (10, 20)) == 1.0
    assert span_overlap((10, 20), (12, 20)) == 0.8
    assert span_overlap((10, 20), (20, 30)) == 0.0
    spans = {(0, 9): 7, (10, 20): 8, (15, 40): 9}
    assert best_span((10, 20), spans) == (8, 1.0)
    assert best_span((11, 20), {(10, 20): 8, (18, 40): 9}) == (8, 0.9)
    # Overlapping, but less than half of the union: no match.
    provision, overlap = best_span((10, 20), {(18, 40): 9})
    assert provision is None and overlap == pytest.approx(2 / 30)


def test_blind_score_arithmetic_on_a_hand_made_example():
    items = [
        GoldItem("a1", "p1", "x", {"r1": True, "r2": False}),
        GoldItem("a2", "p2", "x", {"r1": True}),
        GoldItem("a3", "p3", "y"),
        GoldItem("b1", "p1", "y"),
        GoldItem("n1", "p2", None),
    ]
    stored = [
        StoredItem(1, 1.0, "t1", "c", links=frozenset({"r1", "r2"})),
        StoredItem(2, 0.8, "t1", "c", suggested=frozenset({"r1"})),
        StoredItem(3, 1.0, "t1", "c"),
        StoredItem(4, 1.0),  # stored, but neither type nor category
        StoredItem(None, 0.2, "t2", "c"),  # no stored span: counts as unmatched
    ]
    score = score_blind(items, stored, blind_platforms={"p3"})
    # Rule items a1 a2 a3 b1. Cross-platform pairs: (a1,a2) same rule, same type: tp;
    # (a1,a3) and (a2,a3) different rules, same type: fp; (a3,b1) same rule, b1 untyped: fn;
    # (a2,b1): different rules, nothing predicted. (a1,b1) is a same-platform pair.
    cross = score.pairs["cross_platform"]
    assert (cross.tp, cross.fp, cross.fn) == (1, 2, 1)
    assert (cross.precision, cross.recall) == (pytest.approx(1 / 3), 0.5)
    assert cross.f1 == pytest.approx(0.4)
    # (a1,b1) is neither a gold nor a predicted pair: all pairs count the same.
    assert score.pairs["all"] == cross
    # Only pairs with a3 (the blind platform p3): (a1,a3) fp, (a2,a3) fp, (a3,b1) fn.
    blind = score.pairs["blind"]
    assert (blind.tp, blind.fp, blind.fn, blind.f1) == (0, 2, 1, 0.0)
    # Gold {x: a1 a2, y: a3 b1}; clusters {t1: a1 a2 a3, b1 alone}: index 1, expected
    # 2 * 3 / 6 = 1, maximum 2.5, so (1 - 1) / (2.5 - 1) = 0.
    assert score.adjusted_rand == pytest.approx(0.0)
    assert (score.items, score.rule_items, score.platforms) == (5, 4, 3)
    assert (score.groups, score.cross_platform_groups) == (2, 2)
    assert (score.matched, score.exact, score.unmatched) == (4, 3, ["n1"])
    assert score.unassigned == ["b1"]
    assert score.no_rule_typed == ["n1"]
    assert score.per_type == {
        "t1": {"assigned": 3, "group": "x", "correct": 2, "precision": pytest.approx(2 / 3)},
        "t2": {"assigned": 1, "group": None, "correct": 0, "precision": 0.0},
    }
    # Links on labelled pairs: a1 r1 linked (tp), a1 r2 linked but not engaged (fp), a2 r1 only
    # suggested: missed among applicable links, found once suggestions count.
    applicable, suggested = score.links["applicable"], score.links["with_suggested"]
    assert (applicable.tp, applicable.fp, applicable.fn) == (1, 1, 1)
    assert (suggested.tp, suggested.fp, suggested.fn) == (2, 1, 0)
    assert suggested.precision == pytest.approx(2 / 3) and suggested.recall == 1.0
    assert json.loads(json.dumps(score.as_dict()))["span_coverage"]["share"] == 0.8


def test_a_category_alone_is_not_unassigned_and_discovered_types_are_counted_apart():
    items = [GoldItem("a", "p1", "x"), GoldItem("b", "p2", "x"), GoldItem("n", "p1", None)]
    stored = [
        StoredItem(1, 1.0, None, "child-safety"),
        StoredItem(2, 1.0, "discovered-7", "discovered", discovered=True),
        StoredItem(3, 1.0, "discovered-7", "discovered", discovered=True),
    ]
    score = score_blind(items, stored, blind_platforms={"p1", "p2"})
    assert score.unassigned == []
    assert score.discovered_only == ["b"]
    assert score.no_rule_typed == []  # a discovered type is not a rule type
    assert score.links == {"applicable": None, "with_suggested": None}
    assert score.category_only == ["a"]


def test_whom_a_stored_type_binds_is_scored_against_the_reading():
    items = [
        GoldItem("a", "p1", "x", binds="users"),
        GoldItem("b", "p2", "y", binds="provider"),
        GoldItem("c", "p3", "z", binds="user right"),
        GoldItem("n", "p1", None),
    ]
    stored = [
        StoredItem(1, 1.0, "t1", "c", binds="users"),  # agrees
        StoredItem(2, 1.0, "t2", "c", binds="both"),  # a mutual type never agrees
        StoredItem(3, 1.0, None, "c"),  # no type: not counted
        StoredItem(4, 1.0, "t3", "c", binds="users"),  # no rule: not counted
    ]
    score = score_blind(items, stored, blind_platforms={"p1"})
    assert score.binds == {"typed": 2, "agree": 1}


def test_the_blind_set_is_labelled_by_rule_on_six_or_more_untrained_platforms():
    blind = read_blind_set()
    assert "never used for training" in blind["about"].lower()
    items, groups = blind["items"], {g["key"]: g for g in blind["groups"]}
    platforms = {item["platform"] for item in items}
    assert len(items) >= 300 and len(platforms) >= 6
    assert len({item["id"] for item in items}) == len(items)
    for item in items:
        assert item["end"] - item["start"] == len(item["text"])
        if item["group"] is None:
            assert item["binds"] == "no rule" and item["kind"]
        else:
            group = groups[item["group"]]
            assert item["binds"] == group["binds"] in {"users", "provider", "user right"}
            assert all(also in groups for also in item.get("also", []))
    for group in groups.values():
        assert group["rule"] and group["statement"].endswith(".")
    assert sum(len(g["platforms"]) > 1 for g in groups.values()) >= 30
    # Every OTA service maps (through the seeded aliases, or as a new platform) to a platform
    # that has no training label.
    seeds = json.loads(SEEDS.read_text(encoding="utf-8"))
    trained = {label["path"].split("/")[0] for label in read_labels()}
    for service in platforms:
        slug = seeds["aliases"].get(service, service.lower().replace(" ", "-"))
        assert slug not in trained, service


def test_no_blind_text_or_span_is_in_the_training_labels():
    blind = read_blind_set()
    labels = read_labels()
    trained_texts = {normalize_text(label["text"]) for label in labels}
    for item in blind["items"]:
        text = normalize_text(item["text"])
        assert text not in trained_texts, item["id"]
    blind_paths = {d["path"].split("/")[0].lower() for d in blind["documents"]}
    assert not {label["path"].split("/")[0] for label in labels} & blind_paths


@pytest.mark.django_db
def test_the_training_loader_never_opens_the_blind_set(fake_encoder):
    opened: list[str] = []
    recording = [True]

    def audit(event, args):
        if recording[0] and event == "open" and args and isinstance(args[0], str | Path):
            opened.append(str(args[0]))

    sys.addaudithook(audit)  # hooks stay for the process: this one records only below
    try:
        taxonomy, labels = read_taxonomy(), read_labels()
        classifier.training_digest(taxonomy, labels)
        classifier.train_stored_classifier(encoder=fake_encoder)
    finally:
        recording[0] = False
    assert any(path.endswith("clause_labels.json") for path in opened)
    assert not [path for path in opened if Path(path).name == BLIND_SET.name]


def test_gold_items_carry_their_groups_regulation_labels():
    blind = read_blind_set()
    items = gold_items(blind, {"Kimi AI"})
    assert items and {item.platform for item in items} == {"Kimi AI"}
    marks = [item for item in items if item.group == "ai-mark-removal"]
    assert marks and marks[0].regulations["cn-ai-content-labeling-measures"] is True
    assert all(item.regulations == {} for item in items if item.group is None)


@pytest.mark.realdata
@pytest.mark.slow
def test_every_gold_span_is_a_provision_of_the_bundle_version_it_names(ota_bundle, tmp_path):
    from comparisons.blind import build_repository

    blind = read_blind_set()
    repo = build_repository(blind["documents"], ota_bundle, tmp_path)
    for document in blind["documents"]:
        text = (repo / document["path"]).read_bytes().decode("utf-8")
        spans = {(s.start, s.end) for s in split_provisions(text)}
        for item in blind["items"]:
            if item["path"] == document["path"]:
                assert text[item["start"] : item["end"]] == item["text"], item["id"]
                assert (item["start"], item["end"]) in spans, item["id"]
