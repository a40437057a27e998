"""provisions.diff: word diffs of one clause, and provision diffs between two versions."""

import pytest

from provisions.diff import Piece, diff_versions, diff_words
from provisions.ingest import import_sources
from provisions.models import Document
from tests.factories import write_acme


def read(pieces, skip: str) -> str:
    return "".join(piece.text for piece in pieces if piece.op != skip)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Do not harass people.", "Do not harass or bully people."),
        ("You  must be 18.\n", "You must be 18 or older.\n"),  # spacing kept exactly
        ("Don’t resell the customer’s data.", "Don’t sell the customers’ data."),
        ("Nutzer müssen 18 sein.", "Nutzerinnen müssen 16 sein."),
        ("", "A new clause."),
        ("An old clause.", ""),
    ],
)
def test_word_diff_reads_the_new_text_without_deletions_and_the_old_without_insertions(old, new):
    pieces = diff_words(old, new)
    assert read(pieces, skip="delete") == new
    assert read(pieces, skip="insert") == old


def test_word_diff_marks_whole_words_and_keeps_apostrophes_inside_them():
    pieces = diff_words("Don’t resell data.", "Don’t sell data.")
    assert Piece("delete", "resell") in pieces and Piece("insert", "sell") in pieces
    assert pieces[0] == Piece("equal", "Don’t ")


def test_word_diff_of_equal_texts_is_one_equal_piece():
    assert diff_words("Do not spam.", "Do not spam.") == [Piece("equal", "Do not spam.")]


@pytest.fixture
def versions(tmp_path, db):
    """Acme's policy in two versions: a clause kept, one reworded, one removed, one added."""
    old = "# Policy\n\n- Do not spam.\n- Do not harass people.\n- Do not resell access.\n"
    new = "# Policy\n\n- Do not spam.\n- Do not harass or bully people.\n- Label bots.\n"
    import_sources([str(write_acme(tmp_path, old, new))])
    document = Document.objects.get(platform__slug="acme")
    return list(document.versions.order_by("ordinal"))


def test_version_diff_sorts_clauses_into_added_removed_reworded_and_unchanged(versions):
    old, new = versions
    diff = diff_versions(old, new)
    assert (diff.old, diff.new, diff.unchanged) == (old, new, 1)
    assert [(c.old, c.new) for c in diff.added] == [(None, "Label bots.")]
    assert [(c.old, c.new) for c in diff.removed] == [("Do not resell access.", None)]
    [reworded] = diff.reworded
    assert (reworded.old, reworded.new) == (
        "Do not harass people.",
        "Do not harass or bully people.",
    )
    assert read(reworded.pieces, skip="delete") == reworded.new
    assert reworded.record_id.startswith("P-") and reworded.pieces is not None
    # The same provision before and after: a reworded clause keeps its record.
    assert reworded.provision_id in {s.provision_id for s in old.spans.all()}
    assert diff.added[0].pieces is None and diff.removed[0].pieces is None


def test_a_version_diffed_with_itself_is_all_unchanged(versions, django_assert_num_queries):
    _, new = versions
    with django_assert_num_queries(2):  # one query per version
        diff = diff_versions(new, new)
    assert (diff.added, diff.removed, diff.reworded, diff.unchanged) == ([], [], [], 3)
