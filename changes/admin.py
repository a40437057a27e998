from django.contrib import admin

from changes.models import ProvisionChange


@admin.register(ProvisionChange)
class ProvisionChangeAdmin(admin.ModelAdmin):
    """A curator corrects significance or direction in the curated fields: recomputation
    never writes them, so a correction survives every re-run."""

    list_display = [
        "provision",
        "document",
        "captured_at",
        "action",
        "significance",
        "curated_significance",
        "direction",
        "curated_direction",
        "rule",
    ]
    list_filter = ["significance", "curated_significance", "direction", "action", "rule"]
    list_select_related = ["provision", "document__platform"]
    search_fields = ["document__name", "document__platform__name", "rule"]
    date_hierarchy = "captured_at"
    fields = [
        "document",
        "version",
        "previous_version",
        "provision",
        "action",
        "captured_at",
        "significance",
        "rule",
        "rule_explanation",
        "direction",
        "direction_reason",
        "glitch",
        "evidence",
        "curated_significance",
        "curated_direction",
        "curator_note",
    ]
    readonly_fields = [f for f in fields if not f.startswith("cura")]

    def has_add_permission(self, request):
        return False
