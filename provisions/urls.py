from django.urls import path

from provisions import views

app_name = "provisions"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/csv/", views.search_csv, name="search_csv"),
    path("platforms/", views.platform_list, name="platforms"),
    path("platforms/<slug:slug>/", views.platform_detail, name="platform"),
    path("platforms/<slug:platform>/<slug:slug>/", views.document_detail, name="document"),
    path("platforms/<slug:platform>/<slug:slug>/diff/", views.document_diff, name="diff"),
    # Versions by public ID (D-000015@3f2a9c1e0b7d); the former database-key links redirect.
    path("versions/<int:pk>/", views.version_moved, name="version-moved"),
    path(
        "versions/<int:pk>/verify/", views.version_moved, {"suffix": "verify/"}, name="verify-moved"
    ),
    path("versions/<str:version_id>/", views.version_detail, name="version"),
    path("versions/<str:version_id>/verify/", views.version_verify, name="verify"),
    path("verify/", views.verify_document, name="verify-document"),
    path("provisions/<str:record_id>/", views.provision_detail, name="detail"),
]
