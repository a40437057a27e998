from django.core.management.base import BaseCommand

from provisions import embeddings, tasks


class Command(BaseCommand):
    help = "Embed every clause wording that has no embedding for EMBEDDING_MODEL (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", action="store_true", help="Queue the work for a worker instead"
        )

    def handle(self, *args, queue, **options):
        if queue:
            tasks.embed_pending.delay()
            self.stdout.write("Queued embedding for the worker.")
            return
        stored = embeddings.embed_pending()
        self.stdout.write(f"Stored {stored} new embedding(s).")
