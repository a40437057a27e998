from atlas.api import AddressThrottle


class SubscribeThrottle(AddressThrottle):
    """Subscribe form posts per client address (``ALERTS_SUBSCRIBE_RATE``): each post may send
    a confirmation mail."""

    scope = "alerts-subscribe"
    rate_setting = "ALERTS_SUBSCRIBE_RATE"
