from django.contrib import admin

from provisions.models import (
    Capture,
    Document,
    DocumentSource,
    Platform,
    PlatformAlias,
    Provision,
    Revision,
    Span,
    Version,
)


class PlatformAliasInline(admin.TabularInline):
    model = PlatformAlias
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "website"]
    search_fields = ["name", "slug", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlatformAliasInline]


@admin.register(PlatformAlias)
class PlatformAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "platform"]
    list_select_related = ["platform"]
    search_fields = ["name", "platform__name"]
    autocomplete_fields = ["platform"]


class DocumentSourceInline(admin.TabularInline):
    model = DocumentSource
    extra = 0


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "slug", "record_id"]
    list_select_related = ["platform"]
    list_filter = ["platform"]
    search_fields = ["name", "slug", "platform__name"]
    autocomplete_fields = ["platform"]
    readonly_fields = ["latest_version"]
    inlines = [DocumentSourceInline]


@admin.register(DocumentSource)
class DocumentSourceAdmin(admin.ModelAdmin):
    list_display = ["path", "document", "valid_from", "valid_until"]
    list_select_related = ["document__platform"]
    search_fields = ["path", "document__name"]
    autocomplete_fields = ["document"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Versions and what was derived from them are evidence: viewable, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = ["document", "ordinal", "captured_at", "change_kind", "sha256", "origin"]
    list_select_related = ["document__platform"]
    list_filter = ["change_kind", "origin", "document__platform"]
    search_fields = ["sha256", "origin_ref", "document__name"]
    date_hierarchy = "captured_at"


@admin.register(Capture)
class CaptureAdmin(ReadOnlyAdmin):
    list_display = ["captured_at", "kind", "path", "repository", "commit"]
    list_filter = ["kind", "repository"]
    search_fields = ["key", "commit", "path"]
    date_hierarchy = "captured_at"


class RevisionInline(admin.TabularInline):
    model = Revision
    fields = ["number", "text", "first_version", "similarity"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Provision)
class ProvisionAdmin(ReadOnlyAdmin):
    list_display = ["record_id", "document", "kind", "revision_count", "removed_in"]
    list_select_related = ["document__platform", "removed_in"]
    list_filter = ["kind", "document__platform"]
    search_fields = ["text", "text_hash"]
    inlines = [RevisionInline]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["provision", "number", "first_version", "similarity"]
    list_select_related = ["provision", "first_version"]
    search_fields = ["text"]


@admin.register(Span)
class SpanAdmin(ReadOnlyAdmin):
    list_display = ["provision", "version", "position", "start", "end"]
    list_select_related = ["provision", "version"]
    raw_id_fields = ["provision", "version", "revision"]
