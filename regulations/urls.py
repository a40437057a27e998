from django.urls import path

from regulations import views

app_name = "regulations"
urlpatterns = [
    path("", views.regulation_list, name="list"),
    path("<slug:slug>/", views.regulation_detail, name="detail"),
]
