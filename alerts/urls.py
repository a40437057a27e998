from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("confirm/", views.confirm, name="confirm"),
    path("unsubscribe/", views.unsubscribe, name="unsubscribe"),
]
