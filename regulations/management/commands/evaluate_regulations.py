from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from regulations.evaluation import LABELS, EvaluationError, evaluate_links, read_pairs


class Command(BaseCommand):
    help = "Precision and recall of the applicable regulations against the labelled pairs."

    def add_arguments(self, parser):
        parser.add_argument("--labels", type=Path, default=LABELS)

    def handle(self, *args, labels: Path, **options):
        pairs = read_pairs(labels)
        try:
            result = evaluate_links(pairs)
            held_out = evaluate_links([pair for pair in pairs if pair.get("held_out")])
        except EvaluationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{result.pairs} labelled pairs over {result.provisions} provisions "
            f"({result.assigned} of them with a stored clause type)"
        )
        self.stdout.write(
            f"true positives {result.tp}, false positives {result.fp}, "
            f"false negatives {result.fn}, true negatives {result.tn}"
        )
        self.stdout.write(f"precision {result.precision:.3f}")
        self.stdout.write(f"recall {result.recall:.3f}")
        self.stdout.write(
            f"held out (provisions the classifier never trained on): {held_out.pairs} pairs over "
            f"{held_out.provisions} provisions, precision {held_out.precision:.3f}, "
            f"recall {held_out.recall:.3f}"
        )
        for kind, pair in result.errors:
            self.stdout.write(
                f"  {kind}: {pair['regulation']} for {pair['path']}: {pair['text'][:70]!r}"
            )
