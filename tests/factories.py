"""Builders the tests share: corpus folders on disk, the fake encoder, small worlds, workers.

Test modules import from here and from nowhere else in ``tests/`` (fixtures come from the
conftest files), so that a test file can be read, moved or deleted on its own.
"""

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from atlas.embedded_db import connection_url
from comparisons.clustering import assign_provisions, store_coverage
from comparisons.models import Assignment, ClauseType, SimilarProvision
from provisions.embeddings import embed_pending, encode_cached
from provisions.ingest import import_sources
from provisions.models import Document, Provision
from regulations.catalog import load_catalog
from regulations.models import ClauseTypeLink, Regulation

# -- Corpus folders -------------------------------------------------------------------------

GOOD = "# Policy\n\n- Do not generate malware.\n- Do not harass people.\n"


@dataclass(frozen=True)
class Doc:
    """One document of a corpus folder, as its manifest names it."""

    platform: str
    platform_name: str
    slug: str = "policy"
    name: str = "Usage Policy"
    source_url: str | None = None


ACME = Doc("acme", "Acme AI", "aup", "Acceptable Use Policy", "https://acme.example/aup")


def write_corpus(folder: Path, documents: dict[Doc, dict[str, str | bytes]], *, sha256=None):
    """A corpus folder: each document's versions (version date -> text or bytes) in
    ``<platform>/<document>/<date>.md``, and the manifest listing them. ``sha256`` maps a
    version date to a digest that the manifest claims instead of the real one."""
    entries = []
    for doc, versions in documents.items():
        for day, text in versions.items():
            data = text.encode() if isinstance(text, str) else text
            path = Path(doc.platform) / doc.slug / f"{day}.md"
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(data)
            entry = {
                "platform": doc.platform,
                "platform_name": doc.platform_name,
                "document": doc.slug,
                "document_name": doc.name,
                "version_date": day,
                "path": str(path),
                "sha256": (sha256 or {}).get(day) or hashlib.sha256(data).hexdigest(),
            }
            if doc.source_url:
                entry["source_url"] = doc.source_url
            entries.append(entry)
    (folder / "manifest.json").write_text(json.dumps(entries))
    return folder


def write_acme(folder: Path, *texts: str | bytes, sha256=None) -> Path:
    """Acme AI's acceptable use policy in these versions, dated 2025-01-01, 2025-01-02, …"""
    versions = {f"2025-01-{n:02}": text for n, text in enumerate(texts, 1)}
    return write_corpus(folder, {ACME: versions}, sha256=sha256)


def write_platforms(
    folder: Path, platforms: dict, *, name="{title}", document="Usage Policy", source_url=True
) -> Path:
    """One "policy" document per platform slug; a platform maps to its text (one version,
    2025-01-01) or to {version date: text}. ``name`` formats the platform's name."""
    documents = {}
    for slug, versions in platforms.items():
        url = f"https://{slug}.example/policy" if source_url else None
        doc = Doc(slug, name.format(title=slug.title()), name=document, source_url=url)
        documents[doc] = versions if isinstance(versions, dict) else {"2025-01-01": versions}
    return write_corpus(folder, documents)


def import_platforms(folder: Path, platforms: dict, **manifest) -> None:
    """``write_platforms``, imported."""
    import_sources([str(write_platforms(folder, platforms, **manifest))])


def git(repo: Path, *args: str, date: str = "2025-01-01T00:00:00+00:00") -> None:
    """Run git in ``repo`` as the Open Terms Archive bot, at a fixed date."""
    env = {
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "OTA-Bot",
        "GIT_AUTHOR_EMAIL": "bot@example.org",
        "GIT_COMMITTER_NAME": "OTA-Bot",
        "GIT_COMMITTER_EMAIL": "bot@example.org",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)


def analyze() -> None:
    """Planner statistics for the rows this open transaction wrote (ANALYZE may run inside a
    transaction and sees them): otherwise the freshly filled tables look empty to the planner.
    No test measured faster with it yet (issue 13's notes)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def check_deferred_constraints() -> None:
    """Check the foreign keys of the rows written so far in this open transaction now, once.

    Each test's teardown checks the deferred constraints in a savepoint that it then rolls
    back, which queues the checks again: without this, every test after a data set written
    in an outer transaction re-checks all of it (11 s a test on the real corpus)."""
    connection.check_constraints()


# -- The fake encoder -----------------------------------------------------------------------


class FakeEncoder:
    """Deterministic stand-in for the sentence model: a hashed bag of words, L2-normalized."""

    name = "fake-bag-of-words"

    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        vectors = []
        for text in texts:
            vector = [0.0] * 384
            for word in text.lower().split():
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                vector[int.from_bytes(digest, "big") % 384] += 1.0
            norm = math.sqrt(sum(v * v for v in vector)) or 1.0
            vectors.append([v / norm for v in vector])
        return vectors


def embed_platforms(encoder, slugs) -> None:
    """Embed these platforms' wordings, one document at a time as the worker does."""
    for document in Document.objects.filter(platform__slug__in=slugs):
        embed_pending(encoder=encoder, document_ids=[document.pk])


def embed_texts(provisions, encoder) -> None:
    """Store embeddings of these provisions' wordings (keyed like the worker's)."""
    encode_cached([p.text for p in provisions], encoder=encoder)


# -- Clause types, assignments and regulations, made by hand as a curator would ---------------


def curate(provision, clause_type, *, severity_rule=None) -> Assignment:
    """A curator's assignment of ``provision`` to ``clause_type`` (basis "curated")."""
    return Assignment.objects.update_or_create(
        provision=provision,
        defaults={
            "clause_type": clause_type,
            "score": 1.0,
            "confidence": "high",
            "basis": "curated",
            "severity": clause_type.default_severity,
            "severity_rule": severity_rule or clause_type.default_severity_rule,
            "model_name": "curator",
            "text_hash": provision.text_hash,
        },
    )[0]


def make_clause_type(slug: str, **fields) -> ClauseType:
    defaults = {
        "name": slug.replace("-", " ").title(),
        "category": "test",
        "description": slug,
        "default_severity": "high",
    }
    return ClauseType.objects.get_or_create(slug=slug, defaults=defaults | fields)[0]


def assign(provision, clause_type: ClauseType, **fields) -> Assignment:
    defaults = {
        "clause_type": clause_type,
        "score": 0.9,
        "confidence": "high",
        "basis": "classifier",
        "severity": clause_type.default_severity,
        "severity_rule": "test",
        "model_name": "test",
        "text_hash": provision.text_hash,
    }
    previous = Assignment.objects.filter(provision=provision).values_list("clause_type", flat=True)
    types = {clause_type.pk, *previous}
    assignment = Assignment.objects.update_or_create(
        provision=provision, defaults=defaults | fields
    )[0]
    # As the worker does with every assignment run: the stored coverage follows (the clause-type
    # and regulation pages count from it).
    store_coverage(clause_type_ids=types)
    return assignment


def make_regulation(slug: str, **fields) -> Regulation:
    defaults = {
        "name": slug.replace("-", " ").title(),
        "short_name": slug.upper(),
        "citation": f"Cit. {slug}",
        "jurisdiction": "EU",
        "jurisdiction_name": "European Union",
        "level": "supranational",
        "kind": "regulation",
        "status": "in_force",
        "summary": f"Summary of {slug}.",
        "sources": ["https://example.org/source"],
    }
    return Regulation.objects.create(slug=slug, **(defaults | fields))


def link(clause_type, regulation, *, article="", rationale="Because.") -> ClauseTypeLink:
    return ClauseTypeLink.objects.create(
        clause_type=clause_type, regulation=regulation, article=article, rationale=rationale
    )


# -- The compare world: four platforms, clause types assigned by keyword ---------------------

ALPHA_V1 = (
    "# Rules\n\n## Safety\n\n- Do not generate child sexual abuse material.\n"
    "- Do not harass people.\n\n## Legal\n\n"
    "- These terms are governed by the laws of the State of California.\n"
)
ALPHA_V2 = (
    "# Rules\n\n## Safety\n\n- Never generate child sexual abuse material of any kind.\n"
    "- Do not harass people.\n- Do not impersonate others.\n\n## Legal\n\n"
    "- These terms are governed by the laws of the State of California.\n"
)
WORLD = {
    "alpha": {"2025-01-01": ALPHA_V1, "2025-03-01": ALPHA_V2},
    "beta": {
        "2025-01-01": "# Policy\n\n- Never create sexual content involving minors.\n"
        "- The laws of California govern these terms and any dispute.\n"
        "- Users must be 18 or older.\n"
    },
    "gamma": {
        "2025-01-01": "# Terms\n\n- You must be at least 18 years old to use the services.\n"
        "- Disputes are resolved under the laws of Ireland.\n"
    },
    "delta": {"2025-01-01": "# Use policy\n\n- Do not generate malware or spyware.\n"},
}
TYPES = {  # slug: (name, category, severity, words that pick its provisions)
    "csam": ("CSAM prohibition", "Child safety", "critical", ["child", "minors"]),
    "governing-law": ("Governing law", "Legal", "low", ["laws of"]),
    "minimum-age": ("Minimum age", "Access", "medium", ["18"]),
    "malware": ("Malware prohibition", "Security", "high", ["malware"]),
}


def assign_by_words(types=TYPES) -> dict[str, ClauseType]:
    """Clause types, and curated assignments by keyword of every provision, then the stored
    coverage and matches."""
    made = {}
    for slug, (name, category, severity, _words) in types.items():
        made[slug] = make_clause_type(
            slug,
            name=name,
            category=category,
            description=f"Provisions about {name.lower()}.",
            default_severity=severity,
        )
    for provision in Provision.objects.filter(assignment__isnull=True):
        for slug, (_n, _c, severity, words) in types.items():
            if any(word in provision.text for word in words):
                rule = made[slug].default_severity_rule
                assign(
                    provision,
                    made[slug],
                    basis="curated",
                    severity=severity,
                    severity_rule=rule,
                    model_name="curator",
                )
                break
    link_similar()
    store_coverage()
    return made


def link_similar(per_provision: int = 3) -> None:
    """Stored matches as the worker makes them: same type, other platforms, live provisions."""
    live = list(
        Assignment.objects.filter(provision__removed_in__isnull=True).values_list(
            "provision_id", "clause_type_id", "provision__document__platform_id"
        )
    )
    SimilarProvision.objects.all().delete()
    rows = []
    for pk, type_id, platform_id in live:
        others = [o for o, t, p in live if t == type_id and p != platform_id][:per_provision]
        rows += [
            SimilarProvision(provision_id=pk, other_id=o, similarity=0.8, rank=rank)
            for rank, o in enumerate(others, 1)
        ]
    SimilarProvision.objects.bulk_create(rows)


def build_world(folder: Path, world=WORLD) -> dict[str, ClauseType]:
    """The compare world imported, typed by keyword; returns the clause types by slug."""
    import_platforms(folder, world)
    return assign_by_words()


# -- The API world: two platforms, two versions each, typed by the classifier ----------------

API_POLICIES = {
    "alpha": {
        "2025-01-01": "# Rules\n\n## Safety\n\n"
        "- Do not generate child sexual abuse material.\n"
        "- You must be at least 18 years old to use the services.\n"
        "- Do not harass {people} & 100% of bots_ online.\n",
        "2025-03-01": "# Rules\n\n## Safety\n\n"
        "- Do not generate child sexual abuse material.\n"
        "- You must be at least 18 years old to use the services.\n"
        "- These terms are governed by the laws of the State of California.\n",
    },
    "beta": {
        "2025-02-01": "# Policy\n\n"
        "- Never create sexual content involving minors or child abuse material.\n"
        "- The laws of California govern these terms and any dispute.\n"
        "- Users must be 18 or older.\n",
        "2025-04-01": "# Policy\n\n"
        "- Never create sexual content involving minors or child abuse material.\n"
        "- The laws of the State of California govern these terms and any dispute.\n"
        "- Users must be 18 or older.\n",
    },
}


def build_api_world(folder: Path, encoder) -> dict:
    """The API world imported, embedded with ``encoder``, assigned clause types by the
    classifier, with the regulation catalog loaded."""
    import_platforms(folder, API_POLICIES, name="{title} AI")
    embed_pending(encoder=encoder, document_ids=list(Document.objects.values_list("pk", flat=True)))
    assign_provisions(encoder=encoder)
    load_catalog()
    provisions = Provision.objects.all()
    return {
        "alpha": Document.objects.get(platform__slug="alpha"),
        "beta": Document.objects.get(platform__slug="beta"),
        "provisions": provisions,
        "csam": provisions.get(text__startswith="Do not generate child"),
    }


# -- Worker processes -------------------------------------------------------------------------


def database_url() -> str:
    """The URL of the test database, for the worker process."""
    return connection_url(connection.settings_dict)


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker.

    Setting ``broker_url`` alone is not enough once anything has been queued: the app keeps
    its connection and producer pools for the first broker it used, and messages would go on
    to it (earlier tests queue on the embedded filesystem broker).
    """
    from atlas.celery import app

    app.conf.broker_url = url
    # Dropped, not closed: kombu keeps pools per broker URL and would hand a closed one back.
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


def start_worker(broker_env: dict, log_path, *options: str) -> subprocess.Popen:
    """A `celery worker` on the test database; ``options`` are added to its command line
    (``-Q queue`` for a worker that skips the warm-up's classifier training)."""
    env = {
        **{name: value for name, value in os.environ.items() if name != "CELERY_BROKER_URL"},
        **broker_env,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "worker-test",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "atlas",
            "worker",
            "--concurrency=1",
            "--pool=prefork",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            *options,
        ],
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    os.killpg(worker.pid, sig)
    worker.wait(timeout=30)


def wait_for(condition, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


# -- Shared worlds of the tests ----------------------------------------------------------------

ASSIGNMENT_POLICIES = {
    "alpha": "# Rules\n\n- Do not generate child sexual abuse material.\n"
    "- These terms are governed by the laws of the State of California.\n"
    "- You must be at least 18 years old to use the services.\n",
    "beta": "# Policy\n\n- Never create sexual content involving minors or child abuse material.\n"
    "- The laws of California govern these terms and any dispute.\n"
    "- Users must be 18 or older.\n",
}


def import_kangaroo_platforms(folder, encoder) -> None:
    """Three platforms with the same clause that no written type fits, imported and embedded."""
    import_platforms(
        folder,
        {
            slug: f"# {slug}\n\n- Kangaroo zookeepers shall not skip kangaroo feeding rotas at "
            f"{slug}.\n"
            for slug in ("gamma", "delta", "epsilon")
        },
        document="Policy",
        source_url=False,
    )
    embed_platforms(encoder, ["gamma", "delta", "epsilon"])


def ota_collection(path: Path, name: str, texts: list[tuple[str, str]]) -> str:
    """An OTA versions repository whose README names its collection, one commit per text."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text(f"# Versions of terms from the *{name}* collection\n")
    (path / "Acme Chat").mkdir()
    for number, (date, text) in enumerate(texts):
        (path / "Acme Chat" / "Terms of Service.md").write_text(text)
        git(path, "add", "-A", date=date)
        subject = "First record of" if number == 0 else "Record new changes of"
        git(path, "commit", "-q", "-m", f"{subject} Acme Chat Terms of Service", date=date)
    return str(path)
