from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("provisions.urls")),
    path("", include("comparisons.urls")),
    path("regulations/", include("regulations.urls")),
    path("admin/", admin.site.urls),
]
