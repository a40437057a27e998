"""Atom feeds of provision changes, one per scope (``?scope=platform:openai``) and minimum
significance (``?significance=substantive|wording``, substantive by default).

Entries carry what changed (before and after, verbatim), significance and direction with
their rules, and a link to the change's evidence page. Technical re-extractions and capture
glitches are never entries. IDs are ``tag:`` URIs built from the change's record, stable for
as long as the change exists.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed

from changes.models import Significance
from changes.scopes import UnknownScope, resolve_scope

FEED_SIZE = 50
FEED_SIGNIFICANCE = {"substantive": Significance.SUBSTANTIVE, "wording": Significance.WORDING}
TAG_AUTHORITY = "atlas.changes,2026"


class ChangeFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request):
        scope_name = request.GET.get("scope", "all")
        kind, _, key = scope_name.partition(":")
        significance = request.GET.get("significance", "substantive")
        if significance not in FEED_SIGNIFICANCE:
            raise Http404("significance must be substantive or wording.")
        try:
            scope = resolve_scope(kind, key)
        except UnknownScope as error:
            raise Http404(str(error)) from None
        return scope, FEED_SIGNIFICANCE[significance]

    def title(self, obj):
        scope, significance = obj
        label = (
            "Substantive" if significance == Significance.SUBSTANTIVE else "Substantive and wording"
        )
        return f"{label} policy changes: {scope.title} (Atlas)"

    def link(self, obj):
        return obj[0].url

    def subtitle(self, obj):
        return "Provision by provision, with the words before and after, from stored versions."

    def feed_guid(self, obj):
        scope, significance = obj
        return f"tag:{TAG_AUTHORITY}:feed/{scope.tag}/{significance}"

    def items(self, obj):
        scope, significance = obj
        return (
            scope.changes()
            .at_least(significance)
            .exclude(effective_significance__in=[Significance.TECHNICAL, Significance.GLITCH])
            .select_related("document__platform", "provision", "version", "previous_version")
            .defer("version__text", "previous_version__text", "provision__search_vector")
            .order_by("-captured_at", "-id")[:FEED_SIZE]
        )

    def item_title(self, item):
        return (
            f"{item.document}: {item.provision.record_id} {item.get_action_display().lower()} "
            f"({item.effective_significance_label.split(' (')[0].lower()})"
        )

    def item_description(self, item):
        return render_to_string("changes/_feed_entry.html", {"change": item})

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return f"tag:{TAG_AUTHORITY}:change/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.captured_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.effective_significance, item.effective_direction, item.action]
