from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracking import track
from tracking.declarations import DeclarationError
from tracking.models import Declaration


class Command(BaseCommand):
    help = "Load the declarations, then fetch the declared documents (all, or the services named)."

    def add_arguments(self, parser):
        parser.add_argument("services", nargs="*", help="OTA service names, e.g. Runway")
        parser.add_argument(
            "--load-only", action="store_true", help="Validate and store declarations only"
        )
        parser.add_argument(
            "--reextract",
            action="store_true",
            help="Extract the last fetched pages again with today's rules (no fetching); "
            "a different text is a technical re-extraction, not a policy change",
        )

    def handle(self, *args, services, load_only, reextract, **options):
        try:
            count = track.load_declarations()
        except DeclarationError as error:
            raise CommandError("Invalid declarations:\n" + "\n".join(error.problems)) from None
        self.stdout.write(f"{count} declarations loaded.")
        if load_only:
            return
        declarations = Declaration.objects.current().select_related("document")
        if services:
            unknown = set(services) - set(declarations.values_list("service", flat=True))
            if unknown:
                raise CommandError(f"Not declared: {', '.join(sorted(unknown))}")
            declarations = declarations.filter(service__in=services)
        # A run by hand is its own slot: it always fetches, whatever the schedule did.
        slot = f"manual-{timezone.now():%Y%m%dT%H%M%S.%f}"
        for declaration in declarations:
            if reextract:
                fetch = track.reextract_document(declaration, slot=slot)
                if fetch is None:
                    self.stdout.write(f"{declaration}: nothing fetched yet")
                    continue
            else:
                fetch = track.track_document(declaration, slot=slot)
            line = f"{declaration}: {fetch.get_outcome_display()}"
            self.stdout.write(line + (f" ({fetch.error})" if fetch.error else ""))
