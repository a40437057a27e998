from django.contrib import admin

from tracking.models import Declaration, Fetch


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = ["service", "terms_type", "collection", "document", "valid_until"]
    list_filter = ["collection"]
    search_fields = ["service", "terms_type"]
    list_select_related = ["document__platform"]
    raw_id_fields = ["document"]


@admin.register(Fetch)
class FetchAdmin(admin.ModelAdmin):
    list_display = ["document", "fetched_at", "outcome", "failure", "slot"]
    list_filter = ["outcome", "failure"]
    list_select_related = ["document__platform"]
    raw_id_fields = ["document", "declaration", "version"]
    readonly_fields = ["pages", "error"]
