import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comparisons import blind as blind_path
from comparisons.evaluation import BLIND_SET, evaluate, gold_items, read_blind_set, score_blind
from comparisons.taxonomy import read_labels
from provisions.embeddings import get_encoder
from provisions.models import PlatformAlias


class Command(BaseCommand):
    help = (
        "Evaluate clause-type assignment. Without options: on the labelled set "
        "(comparisons/data/clause_labels.json), leave-one-platform-out: pairwise "
        "precision/recall/F1 over cross-platform pairs, adjusted Rand index, and per-type "
        "precision and recall. With --stored: on the blind set (comparisons/data/blind_set.json), "
        "imported through import_sources and processed by the running Celery worker, scoring "
        "what is stored: span coverage, pairwise precision/recall/F1, adjusted Rand index, "
        "unassigned clauses, per-type precision and regulation links on the labelled pairs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stored", action="store_true", help="score the blind set as stored after import"
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument("--blind-set", type=Path, default=BLIND_SET)
        parser.add_argument(
            "--bundle",
            type=Path,
            default=None,
            help="the OTA bundle the blind documents come from "
            "(default: ATLAS_OTA_BUNDLE or ../shared/ota/genai-contrib-versions.bundle)",
        )
        parser.add_argument(
            "--platform",
            action="append",
            default=None,
            help="only this platform of the blind set (OTA service name; repeatable)",
        )
        parser.add_argument(
            "--no-import",
            action="store_true",
            help="score what is stored now: no import, no waiting for the worker",
        )
        parser.add_argument(
            "--timeout", type=float, default=3600.0, help="seconds to wait for the worker"
        )

    def handle(self, *args, **options):
        if options["stored"]:
            return self.stored(options)
        encoder = get_encoder()
        result = evaluate(encoder)
        if options["json"]:
            self.stdout.write(json.dumps({"model": encoder.name, **result.__dict__}, indent=1))
            return
        out = self.stdout.write
        out(f"model: {encoder.name}")
        out(f"labelled provisions: {result.labels} from {result.platforms} platforms")
        out(
            f"pairwise (cross-platform pairs): precision {result.precision:.3f}  "
            f"recall {result.recall:.3f}  F1 {result.f1:.3f}"
        )
        out(f"adjusted Rand index: {result.adjusted_rand:.3f}")
        out(f"accuracy (type of each provision): {result.accuracy:.3f}")
        precision, recall, support = result.no_rule
        out(
            f"stating no rule ({support} labelled, scored apart): precision {precision:.3f}  "
            f"recall {recall:.3f}"
        )
        out("")
        out(f"{'clause type':34} {'precision':>9} {'recall':>7} {'support':>7}")
        for slug, (precision, recall, support) in sorted(result.per_type.items()):
            flag = "  < 0.6" if precision < 0.6 and support >= 5 else ""
            out(f"{slug:34} {precision:9.2f} {recall:7.2f} {support:7d}{flag}")

    def stored(self, options):
        blind = read_blind_set(options["blind_set"])
        platforms = set(options["platform"]) if options["platform"] else None
        known = {item["platform"] for item in blind["items"]}
        if platforms and platforms - known:
            raise CommandError(f"not in the blind set: {', '.join(sorted(platforms - known))}")
        documents = [
            d
            for d in blind["documents"]
            if platforms is None or d["path"].split("/", 1)[0] in platforms
        ]
        progress = None if options["json"] else (lambda line: self.stderr.write(line))
        waited = None
        try:
            if not options["no_import"]:
                report = blind_path.import_documents(
                    documents, options["bundle"] or blind_path.default_bundle()
                )
                if progress:
                    progress(
                        f"imported: {report.captures} captures, {report.versions} new versions"
                    )
            versions = blind_path.stored_versions(documents)
            if not options["no_import"]:
                waited = blind_path.wait_for_worker(
                    list(versions.values()), timeout=options["timeout"], progress=progress
                )
            items = gold_items(blind, platforms)
            stored = blind_path.stored_items(blind, items, versions)
        except blind_path.BlindSetError as error:
            raise CommandError(str(error)) from error
        trained = {label["path"].split("/")[0] for label in read_labels()}
        blind_platforms = {item.platform for item in items if not _trained(item.platform, trained)}
        score = score_blind(items, stored, blind_platforms=blind_platforms)
        facts = {
            "model": settings.EMBEDDING_MODEL,
            "waited_s": round(waited, 1) if waited is not None else None,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "blind_platforms": sorted(blind_platforms),
        }
        if options["json"]:
            self.stdout.write(json.dumps({**facts, **score.as_dict()}, indent=1))
            return
        self.report(score, facts)

    def report(self, score, facts):
        out = self.stdout.write
        out(
            f"blind set: {score.items} provisions ({score.rule_items} stating a rule, "
            f"{score.items - score.rule_items} stating none) from {score.platforms} platforms; "
            f"{score.groups} rules, {score.cross_platform_groups} of them on several platforms"
        )
        out(f"model: {facts['model']}   load average: {facts['load_average']}")
        out(
            f"span coverage: {score.matched} of {score.items} gold spans matched a stored "
            f"provision ({score.exact} exactly)"
        )
        out("")
        out(f"{'pairs of rule clauses':34} {'gold':>6} {'precision':>9} {'recall':>7} {'F1':>6}")
        names = {
            "cross_platform": "across platforms",
            "blind": "across platforms, with a blind one",
            "all": "all (same platform too)",
        }
        for key, name in names.items():
            pair = score.pairs[key]
            out(
                f"{name:34} {pair.tp + pair.fn:6d} {pair.precision:9.3f} {pair.recall:7.3f} "
                f"{pair.f1:6.3f}"
            )
        out(f"adjusted Rand index (rule clauses): {score.adjusted_rand:.3f}")
        out(
            f"unassigned: {len(score.unassigned)} of {score.rule_items} rule clauses have "
            f"neither a type nor a category"
        )
        out(f"category without a type: {len(score.category_only)} of {score.rule_items}")
        out(
            f"whom the rule binds: the stored type agrees with the reading for "
            f"{score.binds['agree']} of {score.binds['typed']} typed rule clauses"
        )
        out(f"discovered (unnamed) type only: {len(score.discovered_only)} of {score.rule_items}")
        out(
            f"no-rule fragments given a rule type: {len(score.no_rule_typed)} of "
            f"{score.items - score.rule_items}"
        )
        for name, label in (("applicable", "applicable"), ("with_suggested", "+ suggested")):
            links = score.links[name]
            if links is None:
                out(f"regulation links ({label}): no labelled pairs")
                continue
            out(
                f"regulation links ({label}), labelled pairs: precision {links.precision:.3f}  "
                f"recall {links.recall:.3f}  ({links.tp} of {links.tp + links.fn} engaged laws "
                f"linked, {links.fp} laws linked that the clause does not engage)"
            )
        out("")
        out(f"{'stored clause type':34} {'assigned':>8} {'precision':>9}  majority rule")
        for slug, row in sorted(score.per_type.items(), key=lambda kv: (kv[1]["precision"], kv[0])):
            flag = "  < 0.7" if row["precision"] < 0.7 else ""
            out(
                f"{slug[:34]:34} {row['assigned']:8d} {row['precision']:9.2f}  "
                f"{row['group'] or '(no rule)'}{flag}"
            )
        shown = [
            ("unassigned rule clauses", score.unassigned),
            ("no-rule fragments given a type", score.no_rule_typed),
            ("gold spans with no stored provision", score.unmatched),
        ]
        for title, ids in shown:
            if ids:
                out("")
                out(f"{title}: " + ", ".join(ids[:15]) + (" …" if len(ids) > 15 else ""))


def _trained(service: str, trained: set[str]) -> bool:
    """Whether an OTA service's platform has training labels (the blind set holds none, but a
    set extended later might)."""
    alias = PlatformAlias.objects.filter(name=service).select_related("platform").first()
    return bool(alias and alias.platform.slug in trained)
