from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from atlas.api import not_found
from comparisons.api import ClassifyViewSet, ClauseTypeViewSet, CompareViewSet
from provisions.api import (
    ChangeViewSet,
    DocumentViewSet,
    ImportViewSet,
    PlatformViewSet,
    ProvisionViewSet,
    SearchViewSet,
    VersionViewSet,
)
from regulations.api import RegulationViewSet

# The REST API (README.md, "API"): one router, under /api/v1/.
router = DefaultRouter()
router.register("platforms", PlatformViewSet, basename="platform")
router.register("documents", DocumentViewSet, basename="document")
router.register("versions", VersionViewSet, basename="version")
router.register("provisions", ProvisionViewSet, basename="provision")
router.register("clause-types", ClauseTypeViewSet, basename="clausetype")
router.register("regulations", RegulationViewSet, basename="regulation")
router.register("compare", CompareViewSet, basename="compare")
router.register("search", SearchViewSet, basename="search")
router.register("changes", ChangeViewSet, basename="change")
router.register("classify", ClassifyViewSet, basename="classify")
router.register("imports", ImportViewSet, basename="import")

urlpatterns = [
    path("", include("provisions.urls")),
    path("", include("comparisons.urls")),
    path("regulations/", include("regulations.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/(?P<path>.*)$", not_found),
]
