"""``manage.py import_sources SOURCE...``: OTA versions repositories and corpus folders."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from provisions.ingest import import_sources
from provisions.reading import SourceError, parse_variant
from provisions.sources import VariantDeclaration, check_collection


class Command(BaseCommand):
    help = (
        "Import policy versions from Open Terms Archive versions repositories (a local path, a "
        "git bundle or a git URL) and corpus folders with a manifest.json. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="+", metavar="SOURCE")
        parser.add_argument(
            "--variant",
            metavar="REGION[:LANG]",
            help="the region (jurisdiction) and language these sources hold, e.g. EU:en; "
            "documents already stored under another variant get this one beside it",
        )
        parser.add_argument(
            "--collection", metavar="NAME", help="the collection these sources come from"
        )

    def handle(self, *args, sources, variant=None, collection=None, **options):
        declaration = None
        try:
            if variant or collection:
                region, language = (
                    parse_variant(variant, where="--variant") if variant else ("", "")
                )
                if collection:
                    check_collection(collection, where="--collection")
                declaration = VariantDeclaration(region, language, collection or "")
        except SourceError as error:
            raise CommandError(str(error)) from None
        report = import_sources(sources, progress=self.progress, variant=declaration)
        for source, count in report.read.items():
            self.stdout.write(f"{source}: {count} new capture(s)")
        for error in report.errors.values():
            self.stderr.write(f"error: {error}")
        if report.nothing_new and report.read:
            self.stdout.write("Nothing new: every capture of the sources read is already imported.")
        else:
            self.stdout.write(
                f"Imported {report.captures} capture(s): {report.versions} new version(s), "
                f"{report.provisions} new provision(s) in {len(report.documents)} document(s)."
            )
        if report.errors:
            raise CommandError(f"{len(report.errors)} source(s) could not be imported")

    def progress(self, captures):
        if sys.stderr.isatty():
            return tqdm(captures, desc="Storing", unit="capture", file=sys.stderr)
        return self._logged(captures)

    def _logged(self, captures):
        total = len(captures)
        for number, capture in enumerate(captures, start=1):
            if number == 1 or number % 500 == 0 or number == total:
                self.stderr.write(f"storing capture {number}/{total}")
            yield capture
