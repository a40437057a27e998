from django.contrib import admin

from regulations.models import (
    ClauseTypeLink,
    ProvisionLinkOverride,
    Regulation,
    SuggestedLink,
    Topic,
)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "definition"]
    search_fields = ["slug", "definition"]


@admin.register(Regulation)
class RegulationAdmin(admin.ModelAdmin):
    """Catalog entries come from regulations/data/: edit the JSON and re-run load_regulations."""

    list_display = ["short_name", "jurisdiction", "kind", "status", "slug"]
    list_filter = ["jurisdiction", "status", "kind", "level"]
    search_fields = ["slug", "name", "short_name", "citation", "summary"]
    filter_horizontal = ["topics"]


@admin.register(ClauseTypeLink)
class ClauseTypeLinkAdmin(admin.ModelAdmin):
    """Curated in regulations/data/clause_type_links.json; load_regulations makes these match it."""

    list_display = ["clause_type", "regulation", "article", "rationale"]
    list_select_related = ["clause_type", "regulation"]
    list_filter = ["regulation__jurisdiction", "clause_type__category"]
    autocomplete_fields = ["clause_type", "regulation"]
    search_fields = ["clause_type__name", "regulation__short_name", "rationale"]


@admin.register(ProvisionLinkOverride)
class ProvisionLinkOverrideAdmin(admin.ModelAdmin):
    """A curator's add or suppress for one provision: survives re-assignment and reloads."""

    list_display = ["provision", "regulation", "action", "article", "rationale"]
    list_select_related = ["provision", "regulation"]
    list_filter = ["action", "regulation__jurisdiction"]
    raw_id_fields = ["provision"]
    autocomplete_fields = ["regulation"]
    search_fields = ["provision__text", "regulation__short_name", "rationale"]


@admin.register(SuggestedLink)
class SuggestedLinkAdmin(admin.ModelAdmin):
    """Computed by the worker (regulations.mapping.suggest_links); read-only here."""

    list_display = ["provision", "regulation", "topic", "score", "model_name"]
    list_select_related = ["provision", "regulation", "topic"]
    list_filter = ["topic", "model_name"]
    raw_id_fields = ["provision"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
