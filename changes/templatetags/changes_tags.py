from django import template
from django.db.models import Count

from changes.models import ProvisionChange
from provisions.models import Version

register = template.Library()


@register.inclusion_tag("changes/_version_links.html")
def version_links(version):
    """The previous and next version, the diff with the previous one, and what this version's
    provision changes amount to by significance (a version page's way around its history)."""
    siblings = Version.objects.filter(variant_id=version.variant_id).defer("text")
    previous = siblings.filter(ordinal=version.ordinal - 1).first()
    following = siblings.filter(ordinal=version.ordinal + 1).first()
    counts = dict(
        ProvisionChange.objects.filter(version=version)
        .values_list("effective_significance")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        "version": version,
        "previous": previous,
        "next": following,
        "counts": sorted(counts.items()),
        "document": version.document,
    }
