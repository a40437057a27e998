from django.contrib import admin

from alerts.models import Alert, Delivery, EmailSubscription, WebhookSubscription


@admin.register(EmailSubscription)
class EmailSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "scope_kind", "scope_key", "frequency", "minimum", "confirmed_at"]
    list_filter = ["frequency", "minimum", "scope_kind"]
    search_fields = ["email", "scope_key"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "user", "scope_kind", "scope_key", "minimum", "created_at"]
    list_select_related = ["user"]
    list_filter = ["minimum", "scope_kind"]
    search_fields = ["url", "user__username"]
    exclude = ["secret"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    """The email outbox: what was sent to whom, and what waits."""

    list_display = ["subscription", "change", "created_at", "claimed_at", "sent_at", "skipped"]
    list_filter = ["skipped", "subscription__frequency"]
    list_select_related = ["subscription", "change"]
    raw_id_fields = ["subscription", "change"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The webhook delivery log: each delivery's attempts, last status code and error."""

    list_display = [
        "webhook_id",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status"]
    list_select_related = ["subscription", "change"]
    raw_id_fields = ["subscription", "change"]
