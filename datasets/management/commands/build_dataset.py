from django.core.management.base import BaseCommand

from datasets.build import build_dataset


class Command(BaseCommand):
    help = "Build the dataset download (every provision, version and capture, with a data "
    help += "dictionary and licence notes); the worker runs it after each pipeline run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            help="Site address for the permalinks (default: ATLAS_SITE_URL; empty: paths)",
        )

    def handle(self, *args, base_url=None, **options):
        manifest = build_dataset(base_url=base_url)
        counts = ", ".join(f"{count} {name}" for name, count in manifest["counts"].items())
        self.stdout.write(
            f"Built {manifest['file']} ({manifest['bytes']:,} bytes; {counts}); "
            f"sha256 {manifest['sha256']}"
        )
