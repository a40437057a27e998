from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from regulations.catalog import DATA, CatalogError, load_catalog


class Command(BaseCommand):
    help = (
        "Load the regulation catalog, its topics and our curated clause-type links "
        "(topics.json, regulations.json, clause_type_links.json); idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=DATA, help="catalog folder")

    def handle(self, *args, path: Path, **options):
        try:
            report = load_catalog(path)
        except CatalogError as error:
            lines = "\n".join(f"  - {problem}" for problem in error.problems)
            raise CommandError(
                f"The catalog in {path} is malformed; nothing was changed:\n{lines}"
            ) from error
        for name, changes in (
            ("topics", report.topics),
            ("regulations", report.regulations),
            ("clause-type links", report.links),
        ):
            self.stdout.write(
                f"{name}: {len(changes.created)} created, {len(changes.updated)} updated, "
                f"{changes.unchanged} unchanged, {len(changes.removed)} removed"
            )
            for label, fields in changes.updated.items():
                self.stdout.write(f"  updated {label}: {', '.join(fields)}")
            for label in changes.removed:
                self.stdout.write(f"  removed {label}")
        if not report.changed:
            self.stdout.write("Nothing changed.")
