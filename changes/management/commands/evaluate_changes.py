from django.core.management.base import BaseCommand, CommandError

from changes.evaluation import HELD_OUT, evaluate, load_sets
from changes.models import Significance


class Command(BaseCommand):
    help = (
        "Score the stored change significance against the changes labelled by reading "
        "(changes/data/significance_*.json), the development sets and the held-out one: accuracy, "
        "confusion table, each error."
    )

    def handle(self, *args, **options):
        sets = load_sets()
        results = {name: evaluate(labels) for name, labels in sets.items()}
        if not any(result.total for result in results.values()):
            raise CommandError(
                "None of the labelled changes is stored: import the OTA bundle and run the "
                "pipeline (or `manage.py refresh_changes`) first."
            )
        for name, result in results.items():
            self.report(name, sets[name], result)

    def report(self, name, labels, result):
        out = self.stdout.write
        out(
            f"{name} set: {result.total} labelled changes found of {len(labels)} "
            f"({len(result.missing)} not stored)"
        )
        out(f"accuracy {result.accuracy:.3f} ({result.correct}/{result.total})")
        out(f"substantive labelled, predicted cosmetic: {result.substantive_called_cosmetic}")
        kinds = [s.value for s in Significance]
        out("labelled \\ predicted  " + " ".join(f"{k[:11]:>11}" for k in kinds))
        for labelled in kinds:
            row = " ".join(f"{result.confusion[(labelled, p)]:>11}" for p in kinds)
            out(f"{labelled:<20} {row}")
        if name == HELD_OUT:
            out("(its errors are not listed: once read, they would turn it into development data)")
            out("")
            return
        for label, change in result.errors:
            out(
                f"- {label['platform']}/{label['document']} {label['action']}: labelled "
                f"{label['significance']}, stored {change.significance} ({change.rule})"
            )
        out("")
