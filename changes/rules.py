"""The rules that decide what a provision change means, on text alone (no database).

``judge_change`` takes one change (added, removed or reworded, with the verbatim texts) and
returns its significance, the rule that decided it with a one-line explanation, the direction
for users where the words tell it (with why, or why not), and the evidence: before and after
verbatim, the word diff, the word similarity and the words that changed.

The rules are read top to bottom; the first that applies decides:

    furniture     a cookie or consent banner, navigation, footer or sign-up text
    typographic   same words once quotes, dashes, invisible characters, spacing, punctuation,
                  link targets and emphasis are set aside
    moved         an added clause whose words were removed elsewhere in the same change
    resplit       an added clause mostly made of the words of a removed one (split or merged)
    fragment      a short heading-like fragment that states no rule
    normative     a reworded clause whose changed words are rule words (must, not, only, …)
                  or numbers
    rewritten     a reworded clause sharing under 60 % of its words with its old wording
    scope         a reworded clause that gains or loses content words in a sentence that
                  states a rule (prohibits, obliges, permits, collects, shares, …)
    renamed       only capitalised names changed (a product renamed)
    wording       otherwise, for a reworded clause: same rule, other words
    rule          otherwise, for an added or removed clause: a rule added or removed
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from provisions.diff import diff_words, typographic_form
from provisions.parse import normalize_text

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

BANNER = re.compile(
    r"(accept all|reject all|allow all|deny all|accept cookies|cookie (?:settings|preferences|"
    r"banner|consent)|consent preferences|manage (?:consent|preferences|cookies)|"
    r"revisit consent|always active|partners use cookies|we value your privacy|"
    r"show more|customi[sz]e\b.*\b(?:reject|accept)|necessary cookies|functional cookies|"
    r"analytic(?:al|s) cookies|performance cookies|advertisement cookies|targeting cookies|"
    r"cookieyes|onetrust|do not sell or share my personal information$|"
    r"no cookies to display|save my preferences|vendors seeking consent|"
    r"store and/or access information on a device)",
    re.IGNORECASE,
)
NAVIGATION = re.compile(
    r"^\W*(skip to (?:main )?content|back to top|menu|close|log ?in|sign (?:in|up)|"
    r"get started|contact (?:us|sales)|follow us|subscribe|all rights reserved|"
    r"©|copyright ©|home|products?|pricing|careers|blog|docs|documentation|company|"
    r"resources|research|newsroom|legal|support|status|english|language)\W*$",
    re.IGNORECASE,
)
FOOTER = re.compile(r"(©\s*\d{4}|all rights reserved)", re.IGNORECASE)
LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")

# Words that carry a rule: who must, may or may not do what, when, how long, how much.
NORMATIVE = {
    "must",
    "shall",
    "should",
    "may",
    "might",
    "will",
    "can",
    "cannot",
    "can't",
    "won't",
    "not",
    "no",
    "never",
    "nor",
    "only",
    "solely",
    "without",
    "unless",
    "except",
    "prohibit",
    "prohibits",
    "prohibited",
    "forbid",
    "forbidden",
    "restrict",
    "restricts",
    "restricted",
    "require",
    "requires",
    "required",
    "allow",
    "allows",
    "allowed",
    "permit",
    "permits",
    "permitted",
    "consent",
    "opt",
    "out",
    "all",
    "any",
    "each",
    "every",
    "none",
    "always",
    "liable",
    "liability",
    "indemnify",
    "terminate",
    "suspend",
    "retain",
    "delete",
    "sell",
    "share",
    "train",
    "training",
    "days",
    "months",
    "years",
    "hours",
    "minimum",
    "maximum",
    "at",
    "least",
    "most",
    "before",
    "after",
    "within",
    "including",
    "excluding",
    "and",
    "or",
    "if",
    "waive",
    "arbitration",
    "refund",
    "fee",
    "fees",
    "age",
    "older",
    "younger",
    "under",
    "over",
}
NUMBER = re.compile(r"^\d[\d.,]*$")
# A sentence that states a rule, on the user or on the platform.
RULE_SENTENCE = re.compile(
    r"\b(must|shall|may|will not|won't|cannot|can't|do not|don't|never|prohibit\w*|"
    r"not (?:permitted|allowed)|forbid\w*|require\w*|agree|consent|collect\w*|share\w*|"
    r"sell\w*|disclos\w*|retain\w*|use your|train\w*|terminat\w*|suspend\w*|liab\w*|"
    r"indemn\w*|opt.out|right to|allow\w*|permit\w*)\b",
    re.IGNORECASE,
)
RESTRICTIVE = re.compile(
    r"\b(must not|may not|shall not|do not|don't|cannot|can't|will not|won't|never|"
    r"prohibit\w*|not (?:permitted|allowed)|forbid\w*|agree not to|refrain|banned|"
    r"restricted|you (?:must|shall|are required to|agree to)|required to|"
    r"we may (?:suspend|terminate|remove|disable|ban|restrict)|violat\w*)\b",
    re.IGNORECASE,
)
FAVOURABLE = re.compile(
    r"\b(opt.out|you (?:can|may) (?:request|delete|access|export|withdraw|object|choose|"
    r"opt|turn off|disable)|right to (?:access|delete|erasure|object|rectif\w*|"
    r"portability|withdraw|opt)|we (?:will|do) not (?:sell|share|use your \w+ to train)|"
    r"withdraw (?:your )?consent|refund)\b",
    re.IGNORECASE,
)
SIMILARITY_REWRITTEN = 0.6
RESPLIT_SIMILARITY = 0.8
FRAGMENT_WORDS = 4
FILLER_WORDS, FILLER_SHARE = 10, 0.2
# A line all in bold (a heading written as emphasis), or a short one ending with a colon.
HEADING_LIKE = re.compile(r"^(\*\*|__)[^*_].*?(\*\*|__)[\s:.*]*$|^[^.;]{1,80}:\W*$", re.DOTALL)
HEADING_WORDS = 8
# A clause's own number at its start: "1.7.1", "M.4.", "(h)", "iv.", "**7.2**".
LEADING_NUMBER = re.compile(
    r"^[\s*_]*(?:[A-Z]\.)?(?:\d+(?:\.\d+)*\.?|\(?[a-z]{1,2}\)|[ivxlc]{1,5}\.)[\s*_]*"
)
REFERENCE_NUMBER = re.compile(r"\b(section|sections|clause|article|paragraph) \d+(?: \d+)*")
BANNER_REASON = "cookie or consent banner"
WORD_DIFF_LIMIT = 60  # pieces kept in the evidence


@dataclass
class Verdict:
    significance: str
    rule: str
    explanation: str
    direction: str
    direction_reason: str
    evidence: dict = field(default_factory=dict)


def words(text: str) -> list[str]:
    return WORD.findall(typographic_form(text))


def similarity(old: str, new: str) -> float:
    return SequenceMatcher(None, words(old), words(new), autojunk=False).ratio()


def is_furniture(text: str) -> str | None:
    """Why this text is page furniture (a banner, navigation or footer), or None."""
    plain = normalize_text(text)
    if BANNER.search(plain):
        return BANNER_REASON
    if NAVIGATION.match(plain):
        return "navigation or sign-up"
    if FOOTER.search(plain) and len(words(plain)) <= 12:
        return "footer"
    found = words(plain)
    if len(found) >= FILLER_WORDS and len(set(found)) <= FILLER_SHARE * len(found):
        return "repeated filler text (a font or layout test string)"
    if LINK.search(text) and not LINK.sub("", text).strip(" *-|·•\n\t"):
        return "a line of links only"
    return None


def changed_words(old: str, new: str) -> tuple[list[str], list[str]]:
    """(deleted, inserted) words between two wordings, in typographic form."""
    a, b = words(old), words(new)
    deleted, inserted = [], []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            deleted += a[i1:i2]
            inserted += b[j1:j2]
    return deleted, inserted


def _rule_words(tokens) -> list[str]:
    return [t for t in tokens if t in NORMATIVE or NUMBER.match(t)]


def _capitalised(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(normalize_text(text)) if w[:1].isupper()}


class Counterparts:
    """The texts on the other side of one version change, prepared once: an added clause is
    checked against every removed one (and the other way round), so a change of hundreds of
    clauses compares word sets first and runs the word-sequence match only on close ones."""

    def __init__(self, texts=()):
        self.forms = [typographic_form(text) for text in texts]
        self.word_sets = [set(form.split()) for form in self.forms]
        self.exact = set(self.forms)

    def closest(self, text: str) -> tuple[bool, float, bool]:
        """(same words elsewhere, best word similarity, contained in one of them)."""
        form = typographic_form(text)
        if form in self.exact:
            return True, 1.0, True
        mine = set(form.split())
        best, contained = 0.0, False
        for other, other_set in zip(self.forms, self.word_sets, strict=True):
            if form and form in other:
                contained = True
            shared = len(mine & other_set) / max(len(mine), len(other_set), 1)
            if shared >= RESPLIT_SIMILARITY:
                best = max(
                    best, SequenceMatcher(None, form.split(), other.split(), autojunk=False).ratio()
                )
        return False, best, contained


def judge_change(
    action: str,
    old: str | None,
    new: str | None,
    *,
    counterparts: Counterparts | None = None,
    banner_block: bool = False,
    lead_in: str = "",
    technical: bool = False,
    glitch: str = "",
    word_diff: bool = True,
) -> Verdict:
    """The significance of one change; ``counterparts`` are the texts on the other side of
    the same version change (removed clauses for an added one, and so on), which tell moves
    and splits from new rules. ``word_diff=False`` leaves the character-exact word diff out
    of the evidence: on clauses of tens of thousands of characters it takes seconds, too long
    for a page that grades dozens at once (``changes.variants``)."""
    evidence = _evidence(old, new, word_diff=word_diff)
    if technical:
        return _neutral(
            "technical",
            "technical-capture",
            "Recorded as a technical "
            "re-extraction (a declaration or converter upgrade), not a policy change",
            evidence,
        )
    if glitch:
        return _neutral("glitch", glitch, GLITCH_EXPLANATIONS.get(glitch, glitch), evidence)
    furniture = is_furniture(new or "") if new is not None else None
    furniture = furniture or (is_furniture(old or "") if old is not None else None)
    if banner_block and not furniture:
        furniture = "in the block before the policy's first heading that holds a cookie banner"
    if furniture:
        return _neutral("furniture", "furniture", f"Page furniture: {furniture}", evidence)
    if action == "reworded":
        verdict = _judge_rewording(old, new, evidence)
    else:
        text = old if action == "removed" else new
        verdict = _judge_addition(action, text, counterparts, evidence)
    if verdict.significance == "substantive" and verdict.direction == "undetermined" and lead_in:
        # A list item ("facial recognition databases") takes its rule from its lead-in
        # ("We don't allow:").
        with_lead = [f"{lead_in} {t}" if t is not None else None for t in (old, new)]
        direction, reason = judge_direction(action, *with_lead)
        if direction != "undetermined":
            verdict.direction, verdict.direction_reason = direction, f"With its lead-in: {reason}"
    return verdict


GLITCH_EXPLANATIONS = {
    "capture-flip": "A capture that alternated with the version around it (A → B → A): "
    "the page, not the policy, changed",
    "near-empty-capture": "A capture with a small fraction of the provisions of the versions "
    "around it: a broken page",
}


def renumbered(old: str, new: str) -> bool:
    """Whether only clause numbers changed: a clause's own number ("1.7.1" → "1.9.1", "(h)"
    → "(g)", "M.4." added) or a cross-reference ("Section 17.1" → "Section 19.1")."""
    return _unnumbered(old) == _unnumbered(new)


def _unnumbered(text: str) -> str:
    form = typographic_form(LEADING_NUMBER.sub("", normalize_text(text)))
    return REFERENCE_NUMBER.sub(r"\1 #", form)


def _judge_rewording(old: str, new: str, evidence: dict) -> Verdict:
    if typographic_form(old) == typographic_form(new):
        return _neutral(
            "cosmetic",
            "typographic",
            "Only typography, punctuation, spacing, link targets or emphasis changed",
            evidence,
        )
    if renumbered(old, new):
        return _neutral("wording", "renumbered", "Only clause numbers changed", evidence)
    deleted, inserted = changed_words(old, new)
    rule_words = _rule_words(deleted + inserted)
    ratio = evidence["similarity"]
    if rule_words:
        return _substantive(
            "normative",
            "Changed words that carry a rule: " + ", ".join(sorted(set(rule_words))),
            "reworded",
            old,
            new,
            evidence,
        )
    if ratio < SIMILARITY_REWRITTEN:
        return _substantive(
            "rewritten", f"Rewritten: {ratio:.0%} of its words kept", "reworded", old, new, evidence
        )
    content_delta = abs(len(inserted) - len(deleted))
    if content_delta >= 2 and RULE_SENTENCE.search(normalize_text(new)):
        return _substantive(
            "scope",
            "Words added to or cut from a clause that states a rule "
            f"(+{len(inserted)} / −{len(deleted)} words)",
            "reworded",
            old,
            new,
            evidence,
        )
    changed = set(deleted + inserted)
    names = _capitalised(old) | _capitalised(new)
    if changed and changed <= names:
        return _neutral(
            "wording", "renamed", "Only names changed: " + ", ".join(sorted(changed)), evidence
        )
    return _neutral(
        "wording",
        "wording",
        f"Same rule in other words: {ratio:.0%} of its words kept, no rule word changed",
        evidence,
    )


def _judge_addition(action, text, counterparts, evidence) -> Verdict:
    moved, close, contained = (counterparts or Counterparts()).closest(text)
    if moved:
        return _neutral(
            "cosmetic",
            "moved",
            "The same words appear on the other side of this change: moved, not " + action,
            evidence,
        )
    if close >= RESPLIT_SIMILARITY or contained:
        evidence["similarity"] = round(close, 3)
        return _neutral(
            "wording",
            "resplit",
            "Its words are in a clause on the other side of "
            f"this change (split, merged or re-cut; {close:.0%} similar)",
            evidence,
        )
    count = len(words(text))
    if HEADING_LIKE.match(text.strip()) and count <= HEADING_WORDS:
        return _neutral(
            "wording", "fragment", "A heading or lead-in in bold that states no rule", evidence
        )
    if count < FRAGMENT_WORDS and not _rule_words(words(text)):
        return _neutral(
            "wording", "fragment", f"A {count}-word fragment that states no rule", evidence
        )
    verb = "added" if action == "added" else "removed"
    return _substantive(
        "rule",
        f"A clause stating a rule was {verb}",
        action,
        None if action == "added" else text,
        text if action == "added" else None,
        evidence,
    )


def _neutral(significance, rule, explanation, evidence) -> Verdict:
    return Verdict(
        significance,
        rule,
        explanation,
        "neutral",
        "Not a change of rule, so no change for users",
        evidence,
    )


def _substantive(rule, explanation, action, old, new, evidence) -> Verdict:
    direction, reason = judge_direction(action, old, new)
    return Verdict("substantive", rule, explanation, direction, reason, evidence)


def judge_direction(action: str, old: str | None, new: str | None) -> tuple[str, str]:
    """More or less restrictive for users, with the words that tell it; "undetermined" with
    why when they do not."""
    before = _cues(old) if old else (set(), set())
    after = _cues(new) if new else (set(), set())
    restrictive = (after[0] - before[0], before[0] - after[0])  # (gained, lost)
    favourable = (after[1] - before[1], before[1] - after[1])
    tighter = bool(restrictive[0] or favourable[1])
    looser = bool(restrictive[1] or favourable[0])
    if tighter and not looser:
        return "more_restrictive", _say(
            "adds", restrictive[0], "removes a user right:", favourable[1]
        )
    if looser and not tighter:
        return "less_restrictive", _say(
            "removes", restrictive[1], "adds a user right:", favourable[0]
        )
    if tighter and looser:
        return "undetermined", "Both restrictive and favourable wording changed"
    if action == "reworded" and any(NUMBER.match(w) for w in sum(changed_words(old, new), [])):
        return (
            "undetermined",
            "A number changed; whether that favours users depends on what it measures",
        )
    return "undetermined", "No prohibition, obligation or user right recognised in the words"


def _say(verb, restrictions, right_verb, rights) -> str:
    parts = []
    if restrictions:
        parts.append(f"{verb} a prohibition or obligation ({', '.join(sorted(restrictions))})")
    if rights:
        parts.append(f"{right_verb} {', '.join(sorted(rights))}")
    return "; ".join(parts)


def _cues(text: str) -> tuple[set[str], set[str]]:
    plain = normalize_text(text).replace("’", "'")
    return (
        {m.group(0).lower() for m in RESTRICTIVE.finditer(plain)},
        {m.group(0).lower() for m in FAVOURABLE.finditer(plain)},
    )


def _evidence(old: str | None, new: str | None, *, word_diff: bool = True) -> dict:
    evidence = {"before": old, "after": new}
    if old is not None and new is not None:
        if word_diff:
            pieces = diff_words(old, new)
            evidence["word_diff"] = [[p.op, p.text] for p in pieces[:WORD_DIFF_LIMIT]]
        evidence["similarity"] = round(similarity(old, new), 3)
        deleted, inserted = changed_words(old, new)
        evidence["words_removed"], evidence["words_added"] = deleted[:40], inserted[:40]
    return evidence
