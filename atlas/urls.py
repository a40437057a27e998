from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from alerts.api import DeliveryViewSet, WebhookSubscriptionViewSet
from atlas import health, status
from atlas.api import not_found
from changes.api import VariantDifferenceViewSet
from comparisons.api import ClassifyViewSet, ClauseTypeViewSet, CompareViewSet
from drafts.api import CheckViewSet
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
from tracking.api import TrackingViewSet

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
router.register("check", CheckViewSet, basename="check")
router.register("imports", ImportViewSet, basename="import")
router.register("tracking", TrackingViewSet, basename="tracking")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")
router.register("variant-differences", VariantDifferenceViewSet, basename="variant-difference")

urlpatterns = [
    path("", include("provisions.urls")),
    path("", include("comparisons.urls")),
    path("regulations/", include("regulations.urls")),
    path("", include("datasets.urls")),
    path("", include("drafts.urls")),
    path("changes/", include("changes.urls")),
    path("alerts/", include("alerts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/status/", status.status, name="pipeline-status"),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs' script is a separate response (no inline script under the CSP); Swagger UI's
    # page keeps a small inline <style>, allowed on this page only.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    re_path(r"^api/(?P<path>.*)$", not_found),
    path("health/", health.health, name="health"),
]

handler400 = "atlas.errors.bad_request"
handler404 = "atlas.errors.page_not_found"
handler500 = "atlas.errors.server_error"
