from django.apps import AppConfig


class ProvisionsConfig(AppConfig):
    name = "provisions"
