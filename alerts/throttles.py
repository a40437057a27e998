from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class SubscribeThrottle(SimpleRateThrottle):
    """Subscribe form posts per client address (``ALERTS_SUBSCRIBE_RATE``), counted in the
    shared cache as the API's throttles are; each post may send a confirmation mail."""

    scope = "alerts-subscribe"

    def get_rate(self):
        return settings.ALERTS_SUBSCRIBE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
