"""Tracking status inside other apps' pages, without those apps importing tracking.

``{% load tracking %}`` then ``{% tracking_status document %}`` (a document page) or
``{% declared_not_captured %}`` (the platform list).
"""

from django import template

from tracking import track
from tracking.models import Declaration, Failure, Outcome

register = template.Library()


@register.inclusion_tag("tracking/_status.html")
def tracking_status(document):
    declarations = list(
        Declaration.objects.current().with_status().filter(document=document).order_by("service")
    )
    return {"declarations": declarations, "next_run": track.next_run() if declarations else None}


@register.inclusion_tag("tracking/_declared.html")
def declared_not_captured():
    declarations = (
        Declaration.objects.current()
        .uncaptured()
        .with_status()
        .order_by("document__platform__name", "document__name")
    )
    return {"declarations": list(declarations)}


@register.filter
def outcome_label(value: str) -> str:
    return Outcome(value).label if value in Outcome.values else value


@register.filter
def failure_label(value: str) -> str:
    return Failure(value).label if value in Failure.values else value
