from django.urls import path

from drafts import views

app_name = "drafts"

urlpatterns = [
    path("check/", views.check, name="check"),
]
