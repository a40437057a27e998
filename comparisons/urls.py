from django.urls import path, register_converter

from comparisons import views


class ClauseTypeSlugConverter:
    """Any slug without a slash: discovered types named before their slugs were made ASCII
    (``discovery._discovered_type``) hold other scripts and punctuation ("customer’s"), and
    their pages must keep working."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ClauseTypeSlugConverter, "clause_type_slug")

app_name = "comparisons"
urlpatterns = [
    path("compare/", views.compare, name="compare"),
    path("compare/csv/", views.compare_csv, name="compare_csv"),
    path("clause-types/", views.clause_type_list, name="clause_types"),
    path("clause-types/<clause_type_slug:slug>/", views.clause_type_detail, name="clause_type"),
]
