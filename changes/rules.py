"""The rules that decide what a provision change means, on text alone (no database).

``judge_change`` takes one change (added, removed or reworded, with the verbatim texts) and
returns its significance, the rule that decided it with a one-line explanation, the direction
for users where the words tell it (with why, or why not), and the evidence: before and after
verbatim, the word diff, the word similarity and the words that changed.

The rules are read top to bottom; the first that applies decides:

    furniture     a cookie or consent banner, navigation, footer, sign-up text or tracking
                  image
    typographic   same words once quotes, dashes, invisible characters, spacing, punctuation,
                  link targets and emphasis are set aside
    markup        same words once links (a bare address or "this page" as their label),
                  e-mail obfuscation, HTML line breaks and "(opens in a new window)" are set
                  aside
    moved         an added clause whose words were removed elsewhere in the same change
    resplit       an added clause mostly made of the words of a removed one (split or merged)
                  where nothing else changed; when words were cut or changed on the way, the
                  two are judged as one rewording
    lead-in       a line ending with a colon that introduces a list and states no rule itself
    heading       a short heading (in bold or in title case) with no rule word in it; a short
                  list item under a lead-in that states a rule is a rule, however short
    contact       contact or registration details: an address, e-mail, phone, company number
    fragment      a short fragment that states no rule
    date          only the date of an "effective" or "last updated" note changed
    normative     a reworded clause whose changed words are rule words (must, not, only, …)
                  or numbers
    rewritten     a reworded clause sharing under 60 % of its words with its old wording
    scope         a reworded clause that gains or loses content words in a sentence that
                  states a rule (prohibits, obliges, permits, collects, shares, …)
    party         a legal entity or a defined term's document renamed: who the contract is
                  with, or which terms it incorporates
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
    r"(accept all|reject all|allow all|deny all|accept cookies|"
    r"revisit consent|partners use cookies|we value your privacy|"
    r"customi[sz]e\b.*\b(?:reject|accept)|"
    r"cookieyes|onetrust|do not sell or share my personal information$|"
    r"no cookies to display|save my preferences|vendors seeking consent|"
    r"store and/or access information on a device)",
    re.IGNORECASE,
)
# Words a banner's buttons and toggles use, but a privacy policy's own sentences too ("open
# your Cookie Settings to opt out"): furniture only in a line too short to state a rule.
BANNER_WORDS = re.compile(
    r"(cookie (?:settings|preferences|banner|consent)|consent preferences|"
    r"manage (?:consent|preferences|cookies)|always active|show more|necessary cookies|"
    r"functional cookies|analytic(?:al|s) cookies|performance cookies|"
    r"advertisement cookies|targeting cookies)",
    re.IGNORECASE,
)
BANNER_WORDS_MAX = 12  # words in a line where BANNER_WORDS still mean a banner
NAVIGATION = re.compile(
    r"^\W*(skip to (?:main )?content|back to top|menu|close|log ?in|sign (?:in|up)|"
    r"get started|contact (?:us|sales)|follow us|subscribe|all rights reserved|"
    r"©|copyright ©|home|products?|pricing|careers|blog|docs|documentation|company|"
    r"resources|research|newsroom|legal|support|status|english|language)\W*$",
    re.IGNORECASE,
)
FOOTER = re.compile(r"(©\s*\d{4}|all rights reserved)", re.IGNORECASE)
LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
# A Markdown link, its label and its target (a label may hold one level of brackets:
# "[\[email protected\]](…)").
LINK_PARTS = re.compile(r"\[((?:\\.|[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]*)[^)]*\)")
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
# "See a preview of the new terms", "Read more": a line pointing elsewhere, with its link.
POINTER = re.compile(
    r"^\W*(see|view|read|review|learn more|click here|download|visit)\b", re.IGNORECASE
)
POINTER_WORDS = 10
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
OBFUSCATED = re.compile(r"\S*\\?\[email(?:&#160;|\s)protected\\?\]", re.IGNORECASE)
# A link label that says nothing of its own: the address itself, or "this page", "here".
BARE_LABEL = re.compile(
    r"^\W*(?:https?://\S+|www\.\S+|this (?:page|link|website|site)|here|link|click here)\W*$",
    re.IGNORECASE,
)
NEW_WINDOW = re.compile(r"\(opens in (?:a )?new (?:window|tab)\)", re.IGNORECASE)
# A site credit: "This website is made with Hugo and great open-source software".
CREDIT = re.compile(r"\b(?:made|built|powered|designed) (?:with|by)\b", re.IGNORECASE)
CREDIT_WORDS = 12
LINK_ROW = 3  # links in a row with at most a few words between them: a menu or footer
HTML_BREAK = re.compile(r"</?(?:br|p|span|div|strong|em|b|i|u|sup|sub)\b[^>]*>", re.IGNORECASE)

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
# A clause this long found twice is a duplicated capture; a short heading or label can
# stand twice in one policy (a table of contents and its section).
DUPLICATE_WORDS = 8
SPLIT_COVER = 0.9  # a split keeps this share of its clause's words on the other side
# Rule words that make even a short line a rule ("**SFW content only**", "No refunds.").
# fmt: off
STRONG_NORMATIVE = {
    "must", "shall", "should", "may", "cannot", "can't", "won't", "not", "no", "never",
    "only", "solely", "prohibit", "prohibits", "prohibited", "forbidden", "required",
    "allowed", "permitted", "don't", "do",
}
# fmt: on
# fmt: off
STOPWORDS = {
    "a", "an", "the", "of", "to", "in", "on", "for", "by", "with", "as", "at", "from", "and",
    "or", "that", "this", "these", "those", "its", "it", "is", "are", "be", "our", "your",
    "we", "you", "us", "such", "any", "all", "also", "which", "who", "their", "there", "into",
    "about", "under", "over", "than", "when", "what", "where",
}
# fmt: on
# The end of a lead-in: "You must not:", "When we use the following terms, here's what we
# mean:"
LEAD_IN = re.compile(r":[\s*_]*$")
LEAD_IN_WORDS = 25

HEADING_NUMBER = re.compile(r"^[\s*_#]*(?:[IVXLC]{1,6}|[A-Z]|\d+(?:\.\d+)*)[.)]\s*")
# Contact and registration details: a street address, a phone, a company number.
CONTACT = re.compile(
    r"(\b\d{1,5}\s+(?:[NSEW]\.?\s+)?(?:[A-Z0-9][\w'’-]*\s+){1,4}(?:street|st|avenue|ave|"
    r"road|rd|boulevard|blvd|lane|way|drive|place|square|rue|strasse|straße|suite)\b\.?|"
    r"\bsuite\s*#?\s*\d+|\b(?:phone|tel|telephone|fax)\b\W*[+\d(]|\+\d[\d\s()‭-]{6,}|"
    r"\b(?:no|nr|number|org(?:anisation|anization)? nr|company (?:no|number)|reg(?:istration)?"
    r"\.? (?:no|number))\b\.?:?\s*\d[\d-]{4,}|\b(?:attention|address|contact email|email)\s*:|"
    r"\b[A-Z]{2},?\s+\d{5}(?:-\d{4})?\b|#\s*\d+\b|\bSTE\.?\s*\d+|"
    r"\b(?:https?://)?(?:www\.)?[\w-]+\.(?:com|ai|io|org|net|dev|app|co)\b(?:/\S*)?)",
    re.IGNORECASE,
)
CONTACT_OTHER_WORDS = 6  # words besides the details themselves
# A note saying from when the text applies; only its date changing is wording.
DATE_NOTE = re.compile(
    r"(\b(?:effective|last (?:updated|modified|revised)|updated on|updated|release date|"
    r"in force)\b|更新日期|生效日期|最近更新|发布日期)",
    re.IGNORECASE,
)
DATE_DIGITS = re.compile(r"\d{1,4}\s*[年月日./-]?")
DATE_NOTE_WORDS = 3  # words besides the keyword and the date in a dated note
DATE_WORD = re.compile(
    r"^(?:\d{1,4}(?:st|nd|rd|th)?|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)$"
)
# Suffixes of legal entities: a change among them is a change of who the contract is with.
# fmt: off
ENTITY_WORDS = {
    "llc", "l", "c", "ltd", "limited", "inc", "incorporated", "gmbh", "ab", "opco", "sas",
    "sarl", "bv", "nv", "plc", "pbc", "corp", "corporation", "co", "ag", "sa", "srl", "pte",
}
# fmt: on
# Places: a subprocessor or a data centre moved from one to another changes where data goes.
# fmt: off
PLACES = {
    "ireland", "netherlands", "germany", "france", "belgium", "sweden", "finland", "denmark",
    "spain", "italy", "poland", "austria", "switzerland", "norway", "luxembourg", "portugal",
    "uk", "britain", "england", "us", "usa", "america", "canada", "mexico", "brazil", "india",
    "china", "japan", "korea", "singapore", "australia", "israel", "taiwan", "eu", "eea",
    "europe", "asia", "frankfurt", "dublin", "amsterdam", "paris", "london", "virginia",
    "oregon", "california", "texas", "iowa", "ohio",
}
# fmt: on
# A definition: “Term” means …
DEFINITION = re.compile(r"[“\"][^”\"]{1,120}[”\"]\W*(?:means|shall mean|refers to)\b")
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


def is_furniture(text: str, *, whole: bool = True) -> str | None:
    """Why this text is page furniture (a banner, navigation, footer, tracking image, site
    credit or pointer to another page), or None. ``whole=False`` (a clause reworded, not added
    or removed) leaves out what only a whole line added or removed can tell: a policy's own
    "Read our cookies policy" whose link changed is a change of that clause."""
    plain = normalize_text(text)
    if BANNER.search(plain):
        return BANNER_REASON
    if BANNER_WORDS.search(plain) and len(words(plain)) <= BANNER_WORDS_MAX:
        return BANNER_REASON
    if whole and IMAGE.search(text) and len(words(IMAGE.sub(" ", text))) <= HEADING_WORDS:
        return "images (tracking pixels or logos) with at most a title"
    if whole and POINTER.match(plain) and LINK.search(text) and len(words(plain)) <= POINTER_WORDS:
        return "a pointer to another page"
    if whole and CREDIT.search(plain) and len(words(plain)) <= CREDIT_WORDS:
        return "a site credit"
    if len(LINK.findall(text)) >= LINK_ROW and len(words(LINK.sub(" ", text))) <= FRAGMENT_WORDS:
        return "a row of links (a menu or footer)"
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
    """The texts on one side of one version change, prepared once: an added clause is
    checked against every removed one (and the other way round), so a change of hundreds of
    clauses compares word sets first and runs the word-sequence match only on close ones."""

    def __init__(self, texts=()):
        self.texts = list(texts)
        self.forms = [typographic_form(text) for text in self.texts]
        self.word_sets = [set(form.split()) for form in self.forms]
        self.exact = set(self.forms)
        # without a leading "(b)" or "8.4.": a clause cut into list items keeps its words
        self.unlisted = [_unlisted(text) for text in self.texts]
        self._all_words = None

    @property
    def all_words(self) -> set[str]:
        if self._all_words is None:
            self._all_words = set().union(*self.word_sets)
        return self._all_words

    def match(self, text: str) -> Match:
        """The closest of these texts to ``text``: word for word the same, the one holding it
        whole (a split or merge), or the most similar from RESPLIT_SIMILARITY up."""
        form = typographic_form(text)
        if form in self.exact:
            return Match(True, 1.0, None, None)
        mine = set(form.split())
        bare = _unlisted(text)
        best, closest, container = 0.0, None, None
        for index, (other, other_set) in enumerate(zip(self.forms, self.word_sets, strict=True)):
            if bare and bare in self.unlisted[index] and container is None:
                container = self.texts[index]
            shared = len(mine & other_set) / max(len(mine), len(other_set), 1)
            if shared >= RESPLIT_SIMILARITY:
                ratio = SequenceMatcher(None, form.split(), other.split(), autojunk=False).ratio()
                if ratio > best:
                    best, closest = ratio, self.texts[index]
        return Match(False, best, container, closest)

    def merged_from(self, text: str) -> bool:
        """Whether ``text`` is made of whole texts of these (two paragraphs joined)."""
        form = _unlisted(text)
        inside = sum(len(other) for other in self.unlisted if other and other in form)
        return bool(form) and inside >= SPLIT_COVER * len(form)

    def cover(self, text: str) -> float:
        """The share of ``text``'s words found somewhere in these texts."""
        mine = set(typographic_form(text).split())
        return len(mine & self.all_words) / len(mine) if mine else 1.0


@dataclass
class Match:
    same: bool  # the same words, in one text on the other side
    similarity: float  # to the most similar text, from RESPLIT_SIMILARITY up; else 0
    container: str | None  # a text on the other side that holds this one whole
    closest: str | None  # the most similar text on the other side


def _unlisted(text: str) -> str:
    return typographic_form(LEADING_NUMBER.sub("", normalize_text(text)))


def judge_change(
    action: str,
    old: str | None,
    new: str | None,
    *,
    counterparts: Counterparts | None = None,
    siblings: Counterparts | None = None,
    unchanged: frozenset | set = frozenset(),
    banner_block: bool = False,
    lead_in: str = "",
    technical: bool = False,
    glitch: str = "",
    word_diff: bool = True,
) -> Verdict:
    """The significance of one change; ``counterparts`` are the texts on the other side of
    the same version change (removed clauses for an added one, and so on), which tell moves
    and splits from new rules; ``siblings`` those on its own side, which tell whether a split
    kept every word of the clause it came from. ``word_diff=False`` leaves the
    character-exact word diff out of the evidence: on clauses of tens of thousands of
    characters it takes seconds, too long for a page that grades dozens at once
    (``changes.variants``)."""
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
    whole = action != "reworded"
    furniture = is_furniture(new or "", whole=whole) if new is not None else None
    furniture = furniture or (is_furniture(old or "", whole=whole) if old is not None else None)
    if banner_block and not furniture:
        furniture = "in the block before the policy's first heading that holds a cookie banner"
    if furniture:
        return _neutral("furniture", "furniture", f"Page furniture: {furniture}", evidence)
    text = old if new is None else new
    if action != "reworded" and text in unchanged and len(words(text)) >= DUPLICATE_WORDS:
        # The same words as a clause that stays: a page captured twice over, or one copy of
        # it dropped again.
        return _neutral(
            "glitch",
            "duplicate",
            "The same words as a clause present on both sides of this change: a page "
            "captured with its text twice, or one copy of it dropped",
            evidence,
        )
    if action == "reworded":
        verdict = _judge_rewording(old, new, evidence)
    else:
        text = old if action == "removed" else new
        verdict = _judge_addition(action, text, counterparts, siblings, evidence, lead_in)
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
    if _same_markup(old, new):
        return _neutral(
            "cosmetic",
            "markup",
            "Only links (their target, or a label that is an address or \u201cthis page\u201d), "
            "e-mail obfuscation or HTML line breaks changed",
            evidence,
        )
    if renumbered(old, new):
        return _neutral("wording", "renumbered", "Only clause numbers changed", evidence)
    if _is_heading(old) and _is_heading(new):
        return _neutral("wording", "heading", "A heading, which states no rule, reworded", evidence)
    if typographic_form(_without_contact(old)) == typographic_form(_without_contact(new)):
        return _neutral(
            "wording",
            "contact",
            "Only contact or registration details changed (an address, e-mail, phone or "
            "company number)",
            evidence,
        )
    deleted, inserted = changed_words(old, new)
    if DATE_NOTE.search(normalize_text(new)) and all(
        DATE_WORD.match(w) for w in deleted + inserted
    ):
        return _neutral(
            "wording", "date", "Only the date of an effective or last-updated note", evidence
        )
    if set(deleted + inserted) <= {"and", "or"} and "and/or" in (old + new).replace(" ", ""):
        return _neutral(
            "wording",
            "wording",
            "\u201cand\u201d, \u201cor\u201d and \u201cand/or\u201d: the same rule",
            evidence,
        )
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
    if changed & PLACES:
        return _substantive(
            "location",
            "A place changed: " + ", ".join(sorted(changed & PLACES)),
            "reworded",
            old,
            new,
            evidence,
        )
    replaced = bool(deleted) and bool(inserted)  # a name added beside the old one is not
    if (
        changed
        and changed <= names
        and replaced
        and (changed & ENTITY_WORDS or DEFINITION.search(normalize_text(new)))
    ):
        return _substantive(
            "party",
            "A legal entity or the document a defined term names changed: "
            + ", ".join(sorted(changed)),
            "reworded",
            old,
            new,
            evidence,
        )
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


def _judge_addition(action, text, counterparts, siblings, evidence, lead_in="") -> Verdict:
    match = (counterparts or Counterparts()).match(text)
    if match.same:
        return _neutral(
            "cosmetic",
            "moved",
            "The same words appear on the other side of this change: moved, not " + action,
            evidence,
        )
    resplit = _judge_resplit(action, text, match, siblings, evidence)
    if resplit is not None and resplit.significance != "substantive":
        return resplit
    if counterparts is not None and counterparts.merged_from(text):
        return _neutral(
            "wording",
            "resplit",
            "Made of whole clauses of the other side of this change (merged)",
            evidence,
        )
    count = len(words(text))
    plain = normalize_text(text).strip()
    listed = bool(lead_in) and bool(RULE_SENTENCE.search(normalize_text(lead_in)))
    if _is_lead_in(plain):
        return _neutral(
            "wording", "lead-in", "A lead-in to a list, which states no rule itself", evidence
        )
    if _is_heading(text):
        return _neutral("wording", "heading", "A heading that states no rule", evidence)
    if _is_date_note(plain):
        return _neutral(
            "wording", "date", "An effective or last-updated date, which states no rule", evidence
        )
    if _is_contact(text, plain):
        return _neutral(
            "wording",
            "contact",
            "Contact or registration details (an address, e-mail, phone, website or company "
            "number)",
            evidence,
        )
    if resplit is not None:
        return resplit
    if count < FRAGMENT_WORDS and not _rule_words(words(text)) and not listed:
        return _neutral(
            "wording", "fragment", f"A {count}-word fragment that states no rule", evidence
        )
    verb = "added" if action == "added" else "removed"
    return _substantive(
        "rule",
        f"A clause stating a rule was {verb}"
        + (" (an item of a list whose lead-in states the rule)" if listed and count < 8 else ""),
        action,
        None if action == "added" else text,
        text if action == "added" else None,
        evidence,
    )


def _judge_resplit(action, text, match, siblings, evidence) -> Verdict | None:
    """A clause whose words are on the other side of the change, split, merged or re-cut:
    wording when nothing else changed; otherwise the two are judged as one rewording (a
    subprocessor replaced in a clause otherwise the same; a paragraph cut in two with one
    sentence dropped). None when no clause on the other side is close."""
    other = match.container or match.closest
    if other is None:
        return None
    evidence["similarity"] = round(match.similarity, 3)
    # Split from (or merged into) a longer clause: nothing changed if every word of that
    # clause is in the texts on this side of the change.
    if match.container is not None and (siblings is None or siblings.cover(other) >= SPLIT_COVER):
        return _neutral(
            "wording",
            "resplit",
            "Its words are in a clause on the other side of this change, and that "
            "clause's other words are here too (split, merged or re-cut)",
            evidence,
        )
    old, new = (other, text) if action == "added" else (text, other)
    judged = _judge_rewording(old, new, dict(evidence))
    if judged.significance != "substantive":
        return _neutral(
            "wording",
            "resplit",
            "Its words are in a clause on the other side of this change "
            f"(split, merged or re-cut; {match.similarity:.0%} similar)",
            evidence,
        )
    judged.rule = "resplit-changed"
    judged.explanation = (
        "Split, merged or re-cut from a clause on the other side of this change, with a "
        f"change of rule: {judged.explanation}"
    )[:300]
    judged.evidence = evidence
    return judged


def _is_date_note(plain: str) -> bool:
    if not DATE_NOTE.search(plain):
        return False
    rest = DATE_DIGITS.sub(" ", DATE_NOTE.sub(" ", plain))
    return len([w for w in words(rest) if not DATE_WORD.match(w)]) <= DATE_NOTE_WORDS


def _is_lead_in(plain: str) -> bool:
    """A line ending with a colon that introduces what follows ("**Your User Data.** You
    must:"): its rule is in the items, each a change of its own."""
    return bool(LEAD_IN.search(plain)) and len(words(plain)) <= LEAD_IN_WORDS


def _is_heading(text: str) -> bool:
    """A short heading: in bold, or in title case ("VIII. Liability", "Cookies and Other
    Tracking", "Joint Controllership with Workday"), with no word that states a rule
    ("**SFW content only**" does)."""
    plain = normalize_text(text).strip()
    found = words(plain)
    if len(found) > HEADING_WORDS or _strong_rule_words(found):
        return False
    if HEADING_LIKE.match(plain):
        return True
    bare = HEADING_NUMBER.sub("", plain).strip(" *_#")
    if bare.endswith(".") and len(WORD.findall(bare)) >= 2:
        bare = bare[:-1]  # "Other Personal Data." (one word and a stop is a list item)
    if not bare or bare[-1] in ".;!?," or not bare[0].isupper():
        return False
    long_words = [w for w in WORD.findall(bare) if len(w) >= 4 and w.lower() not in STOPWORDS]
    return bool(long_words) and all(w[0].isupper() for w in long_words)


def _is_contact(text: str, plain: str) -> bool:
    """Mostly contact or registration details, and no word that states a rule (a row of a
    table, such as a cookie's domain, is not a contact)."""
    found = CONTACT.findall(plain) + EMAIL.findall(plain) + OBFUSCATED.findall(text)
    if not found or "|" in plain:
        return False
    rest = _without_contact(plain)
    return not _strong_rule_words(words(rest)) and len(words(rest)) <= CONTACT_OTHER_WORDS


def _without_contact(text: str) -> str:
    """The clause with its links reduced to their labels and its contact details removed."""
    text = OBFUSCATED.sub(" ", LINK_PARTS.sub(lambda m: f" {m.group(1)} ", text))
    return EMAIL.sub(" ", CONTACT.sub(" ", text))


def _markup_form(text: str) -> str:
    """The clause with links reduced to their label (nothing, where the label is the address
    itself or "this page"), e-mail addresses and their obfuscation to one token, HTML line
    breaks and "(opens in a new window)" removed; then its typographic form."""
    text = NEW_WINDOW.sub(" ", text)
    text = OBFUSCATED.sub(" EMAIL ", text)

    def label(match):
        inner, target = match.group(1), match.group(2)
        if EMAIL.search(inner) or target.startswith("mailto:") or "email-protection" in target:
            return " EMAIL "
        return " " if BARE_LABEL.match(inner.replace("\u2060", "")) else f" {inner} "

    text = LINK_PARTS.sub(label, text)
    text = EMAIL.sub(" EMAIL ", HTML_BREAK.sub(" ", text))
    return typographic_form(text)


def _same_markup(old: str | None, new: str | None) -> bool:
    return old is not None and new is not None and _markup_form(old) == _markup_form(new)


def _strong_rule_words(tokens) -> list[str]:
    return [t for t in tokens if t in STRONG_NORMATIVE]


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
