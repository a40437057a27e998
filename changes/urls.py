from django.urls import path

from changes import views
from changes.feeds import ChangeFeed

app_name = "changes"
urlpatterns = [
    path("", views.change_list, name="list"),
    path("<int:pk>/", views.change_detail, name="change"),
    path("feed/", ChangeFeed(), name="feed"),
    path("platforms/<slug:key>/", views.change_list, {"kind": "platform"}, name="platform"),
    path("platforms/<slug:platform>/<slug:slug>/", views.document_changes, name="document"),
    path(
        "platforms/<slug:platform>/<slug:slug>/variants/",
        views.variant_differences,
        name="variants",
    ),
    path(
        "clause-types/<slug:key>/", views.change_list, {"kind": "clause-type"}, name="clause_type"
    ),
    path("provisions/<str:key>/", views.change_list, {"kind": "provision"}, name="provision"),
    path("regulations/<slug:key>/", views.change_list, {"kind": "regulation"}, name="regulation"),
]
