from provisions.lineage import Known, match_segments, similarity
from provisions.parse import split_provisions

OLD = """# Rules

- Do not generate child sexual abuse material.
- Do not use the service to build weapons of mass destruction or any other weapons.
- Do not send spam.
"""


def known(source: str, first_id: int = 1) -> list[Known]:
    return [
        Known(
            first_id + i,
            100 + first_id + i,
            s.text_hash,
            s.normalized,
            s.heading_path,
            part=s.parent is not None,
        )
        for i, s in enumerate(split_provisions(source))
    ]


def test_unchanged_clauses_keep_their_provision_and_revision():
    matches = match_segments(known(OLD), split_provisions(OLD))
    assert [(m.provision_id, m.revision_id) for m in matches] == [(1, 101), (2, 102), (3, 103)]


def test_light_rewording_keeps_the_provision_with_a_new_revision():
    new = OLD.replace("build weapons of mass destruction", "develop weapons of mass destruction")
    matches = match_segments(known(OLD), split_provisions(new))
    reworded = matches[1]
    assert reworded.provision_id == 2 and reworded.revision_id is None
    assert 0.8 <= reworded.similarity < 1


def test_a_different_clause_is_new_and_the_old_one_is_left_unmatched():
    new = OLD.replace("Do not send spam.", "You must be at least 18 years old to use the service.")
    matches = match_segments(known(OLD), split_provisions(new))
    assert matches[2].provision_id is None
    assert {m.provision_id for m in matches} == {1, 2, None}


def test_reordering_does_not_change_identity():
    lines = OLD.strip().splitlines()
    new = "\n".join([lines[0], "", lines[4], lines[2], lines[3]]) + "\n"
    matches = match_segments(known(OLD), split_provisions(new))
    assert [m.provision_id for m in matches] == [3, 1, 2]


def test_a_clause_that_returns_resumes_its_old_record():
    segments = split_provisions(OLD)
    earlier = {segments[2].text_hash: (3, 103, False)}
    without_spam = known(OLD)[:2]
    matches = match_segments(without_spam, segments, earlier=earlier)
    assert (matches[2].provision_id, matches[2].revision_id) == (3, 103)


def test_duplicate_clauses_map_to_distinct_provisions():
    source = "- Same rule text here.\n- Same rule text here.\n"
    matches = match_segments(known(source), split_provisions(source))
    assert sorted(m.provision_id for m in matches) == [1, 2]


def test_similarity_is_word_sequence_based():
    assert similarity("a b c d", "a b c d") == 1
    assert similarity("a b c d", "w x y z") == 0


ENUMERATED = """# Rules

You may not use the service to: (1) create child sexual abuse material; (2) share intimate
images of anyone without their consent; or (3) write malware that attacks computer systems.
"""


def test_an_enumerated_part_reworded_keeps_its_record_and_its_siblings_are_unchanged():
    new = ENUMERATED.replace("write malware that attacks", "write or spread malware that attacks")
    matches = match_segments(known(ENUMERATED), split_provisions(new))
    # The clause itself and its third part are reworded; parts one and two are untouched.
    assert [m.segment.kind for m in matches] == ["paragraph", "part", "part", "part"]
    assert [m.provision_id for m in matches] == [1, 2, 3, 4]
    assert [m.revision_id for m in matches] == [None, 102, 103, None]


def test_a_part_never_continues_a_clause_of_its_own_with_the_same_words():
    # The same words once a list item, now a part of a sentence: a different record, as the
    # pages show parts within their parent.
    old = "- create child sexual abuse material of any kind at all\n"
    new = (
        "You may not: (1) create child sexual abuse material of any kind at all;"
        " (2) share intimate images of anyone without consent.\n"
    )
    matches = match_segments(known(old), split_provisions(new))
    part = next(m for m in matches if m.segment.kind == "part")
    assert part.provision_id is None
