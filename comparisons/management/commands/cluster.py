from django.core.management.base import BaseCommand

from comparisons.clustering import assign_provisions


class Command(BaseCommand):
    help = (
        "Assign every embedded provision a clause type (curated assignments are kept) and "
        "store each provision's closest same-type provisions on other platforms."
    )

    def handle(self, *args, **options):
        result = assign_provisions()
        self.stdout.write(
            f"Assigned {result['assigned']} provision(s); {result['unassigned']} below the "
            f"lowest confidence band left unassigned; {result['similar']} cross-platform "
            "match(es) stored."
        )
