from django.urls import path

from comparisons import views

app_name = "comparisons"
urlpatterns = [
    path("compare/", views.compare, name="compare"),
    path("compare/csv/", views.compare_csv, name="compare_csv"),
    path("clause-types/", views.clause_type_list, name="clause_types"),
    path("clause-types/<slug:slug>/", views.clause_type_detail, name="clause_type"),
]
