from django.core.management.base import BaseCommand

from changes.significance import refresh_changes
from provisions.models import Document


class Command(BaseCommand):
    help = "Judge every provision change again (what the pipeline does after new versions)."

    def add_arguments(self, parser):
        parser.add_argument("platforms", nargs="*", help="platform slugs (default: all)")

    def handle(self, *args, platforms, **options):
        documents = Document.objects.select_related("platform").order_by("pk")
        if platforms:
            documents = documents.filter(platform__slug__in=platforms)
        total = 0
        for document in documents:
            total += refresh_changes(document)
        self.stdout.write(f"{total} provision changes stored for {len(documents)} documents.")
