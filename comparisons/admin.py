from django.contrib import admin

from comparisons.models import Assignment, ClauseType, SimilarProvision


@admin.register(ClauseType)
class ClauseTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "default_severity", "discovered", "merged_into"]
    list_filter = ["discovered", "category", "default_severity"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["merged_into"]
    list_select_related = ["merged_into"]


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
    # Named, not left to the admin: without it the changelist calls select_related() with no
    # fields, which follows every non-null foreign key (versions, their texts, documents,
    # variants, twice over): a join of over 12 tables that PostgreSQL plans with its genetic
    # optimizer, at random, and once in a while so badly that the page never loads (the CI
    # hang of stops 23 and 25).
    list_select_related = ["provision", "other"]
    raw_id_fields = ["provision", "other"]
