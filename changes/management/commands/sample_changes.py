import json
import random
from collections import defaultdict

from django.core.management.base import BaseCommand

from changes.evaluation import text_sha
from changes.models import ProvisionChange
from provisions.models import Capture


class Command(BaseCommand):
    help = (
        "Print a seeded sample of stored provision changes for labelling by reading, as JSON "
        "lines, without what the classifier decided (so labels are not led by it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=160)
        parser.add_argument("--per-document", type=int, default=5)
        parser.add_argument("--seed", type=int, default=15)

    def handle(self, *args, count, per_document, seed, **options):
        rows = defaultdict(list)
        for change in (
            ProvisionChange.objects.select_related(
                "document__platform", "version", "previous_version"
            )
            .defer("version__text", "previous_version__text")
            .order_by("pk")
        ):
            rows[change.document_id].append(change)
        rng = random.Random(seed)
        picked = []
        for document_id in sorted(rows):
            changes = rows[document_id]
            rng.shuffle(changes)
            by_version = defaultdict(int)
            taken = 0
            for change in changes:
                if taken == per_document or by_version[change.version_id] == 2:
                    continue
                by_version[change.version_id] += 1
                taken += 1
                picked.append(change)
        rng.shuffle(picked)
        for change in picked[:count]:
            before, after = change.evidence.get("before"), change.evidence.get("after")
            captures = list(change.version.captures.values_list("captured_at", "kind", "subject"))
            # What a reader needs to tell a glitch: when else each text around it was seen.
            timeline = list(
                Capture.objects.filter(version__document=change.document_id)
                .order_by("captured_at", "id")
                .values_list("version__sha256", flat=True)
            )
            positions = [i for i, sha in enumerate(timeline) if sha == change.version.sha256]
            around = [[sha[:6] for sha in timeline[max(0, i - 3) : i + 4]] for i in positions[:3]]
            self.stdout.write(
                json.dumps(
                    {
                        "platform": change.document.platform.slug,
                        "document": change.document.slug,
                        "version_sha256": change.version.sha256,
                        "captured_at": change.captured_at.date().isoformat(),
                        "action": change.action,
                        "before_sha256": text_sha(before),
                        "after_sha256": text_sha(after),
                        "before": before,
                        "after": after,
                        "captures": [[str(c[0].date()), c[1], c[2]] for c in captures[:4]],
                        "seen": len(positions),
                        "timeline_around": around,
                        "previous_sha": change.previous_version.sha256[:6],
                        "version_sha": change.version.sha256[:6],
                    },
                    ensure_ascii=False,
                )
            )
