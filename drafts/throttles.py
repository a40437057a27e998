from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class CheckThrottle(SimpleRateThrottle):
    """Drafts checked per client address (``ATLAS_CHECK_RATE``), the page and the API
    together, counted in the shared cache as the API's throttles are: each check encodes up to
    600 clauses in the web process."""

    scope = "draft-check"

    def get_rate(self):
        return settings.ATLAS_CHECK_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
