from django.core.management.base import BaseCommand, CommandError

from changes.evaluation import evaluate, load_labels
from changes.models import Significance


class Command(BaseCommand):
    help = (
        "Score the stored change significance against the changes labelled by reading "
        "(changes/data/significance_labels.json): accuracy, confusion table, each error."
    )

    def handle(self, *args, **options):
        labels = load_labels()
        result = evaluate(labels)
        if not result.total:
            raise CommandError(
                "None of the labelled changes is stored: import the OTA bundle and run the "
                "pipeline (or `manage.py refresh_changes`) first."
            )
        out = self.stdout.write
        out(
            f"{result.total} labelled changes found of {len(labels)} "
            f"({len(result.missing)} not stored)"
        )
        out(f"accuracy {result.accuracy:.3f} ({result.correct}/{result.total})")
        out(f"substantive labelled, predicted cosmetic: {result.substantive_called_cosmetic}")
        kinds = [s.value for s in Significance]
        out("labelled \\ predicted  " + " ".join(f"{k[:11]:>11}" for k in kinds))
        for labelled in kinds:
            row = " ".join(f"{result.confusion[(labelled, p)]:>11}" for p in kinds)
            out(f"{labelled:<20} {row}")
        for label, change in result.errors:
            out(
                f"- {label['platform']}/{label['document']} {label['action']}: labelled "
                f"{label['significance']}, stored {change.significance} ({change.rule})"
            )
