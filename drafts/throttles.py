from atlas.api import AddressThrottle


class CheckThrottle(AddressThrottle):
    """Drafts checked per client address (``ATLAS_CHECK_RATE``), the page and the API
    together: each check encodes up to 600 clauses in the web process."""

    scope = "draft-check"
    rate_setting = "ATLAS_CHECK_RATE"
