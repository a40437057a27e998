from django import template

from comparisons.pictures import category_name as name_of

register = template.Library()


@register.filter
def category_name(slug) -> str:
    """A clause-type category's name for readers ("ai-specific" → "AI-specific rules")."""
    return name_of(str(slug or ""))
