from django.contrib import admin

from comparisons.models import Assignment, ClauseType, SimilarProvision


@admin.register(ClauseType)
class ClauseTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "default_severity", "discovered", "merged_into"]
    list_filter = ["discovered", "category", "default_severity"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["merged_into"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Setting basis to "curated" makes an assignment survive every re-run of `cluster`."""

    list_display = ["provision", "clause_type", "score", "confidence", "basis", "severity"]
    list_select_related = ["provision", "clause_type"]
    list_filter = ["basis", "confidence", "severity", "clause_type"]
    raw_id_fields = ["provision"]
    autocomplete_fields = ["clause_type", "runner_up"]
    search_fields = ["provision__text"]


@admin.register(SimilarProvision)
class SimilarProvisionAdmin(admin.ModelAdmin):
    list_display = ["provision", "other", "similarity", "rank"]
    raw_id_fields = ["provision", "other"]
