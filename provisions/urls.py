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
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/verify/", views.version_verify, name="verify"),
    path("provisions/<str:record_id>/", views.provision_detail, name="detail"),
]
