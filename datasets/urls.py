from django.urls import path

from datasets import views

app_name = "datasets"
urlpatterns = [
    path("data/", views.dataset, name="dataset"),
    path("data/atlas-dataset.zip", views.download, name="download"),
]
