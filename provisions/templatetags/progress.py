"""``{% pipeline_progress %}``: the pipeline's progress block (``atlas.progress``), shown while
the worker embeds and assigns, with the numbers; nothing once everything is done."""

from django import template

from atlas import progress

register = template.Library()


@register.inclusion_tag("provisions/_progress.html")
def pipeline_progress(*, always: bool = False):
    """The block while work is under way (``always``: also when it is done)."""
    snapshot = progress.snapshot()
    stages = [
        {**stage, "done_text": f"{stage['done']:,}", "total_text": f"{stage['total']:,}"}
        for stage in snapshot["stages"]
    ]
    return {"progress": snapshot, "stages": stages, "show": always or snapshot["working"]}
