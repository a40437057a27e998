from django.core.management.base import BaseCommand

from comparisons.evaluation import evaluate
from provisions.embeddings import get_encoder


class Command(BaseCommand):
    help = (
        "Evaluate clause-type assignment on the labelled set "
        "(comparisons/data/clause_labels.json), leave-one-platform-out: pairwise "
        "precision/recall/F1 over cross-platform pairs, "
        "adjusted Rand index, and per-type precision and recall."
    )

    def handle(self, *args, **options):
        encoder = get_encoder()
        result = evaluate(encoder)
        out = self.stdout.write
        out(f"model: {encoder.name}")
        out(f"labelled provisions: {result.labels} from {result.platforms} platforms")
        out(
            f"pairwise (cross-platform pairs): precision {result.precision:.3f}  "
            f"recall {result.recall:.3f}  F1 {result.f1:.3f}"
        )
        out(f"adjusted Rand index: {result.adjusted_rand:.3f}")
        out(f"accuracy (type of each provision): {result.accuracy:.3f}")
        out("")
        out(f"{'clause type':34} {'precision':>9} {'recall':>7} {'support':>7}")
        for slug, (precision, recall, support) in sorted(result.per_type.items()):
            flag = "  < 0.7" if precision < 0.7 else ""
            out(f"{slug:34} {precision:9.2f} {recall:7.2f} {support:7d}{flag}")
