"""Webhooks over the API: ``/api/v1/webhooks/`` (a token holder's own subscriptions: list,
create, read, delete) and ``/api/v1/webhook-deliveries/`` (their delivery log)."""

from __future__ import annotations

from pathlib import Path

from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, viewsets

from alerts.models import MINIMUM_CHOICES, Delivery, WebhookSubscription
from alerts.webhooks import check_webhook_url
from atlas import schema as docs
from atlas.ssrf import UnsafeURL
from changes.models import Significance
from changes.scopes import UnknownScope, resolve_scope


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(
        max_length=220,
        help_text="What to follow: all, platform:<slug>, document:<platform>/<slug>, "
        "clause-type:<slug>, provision:<P-…>, regulation:<slug>",
    )
    url = serializers.URLField(max_length=2000, help_text="https, to a public address")
    minimum = serializers.ChoiceField(choices=MINIMUM_CHOICES, default=Significance.SUBSTANTIVE)
    secret = serializers.SerializerMethodField(
        help_text="The signing secret (Standard Webhooks), shown once: in the answer to create"
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "scope", "minimum", "secret", "created_at"]
        read_only_fields = ["id", "created_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, subscription) -> str | None:
        return subscription.secret if self.context.get("created") else None

    def validate_scope(self, value: str) -> str:
        kind, _, key = value.partition(":")
        try:
            self._scope = resolve_scope(kind, key)
        except UnknownScope as error:
            raise serializers.ValidationError(str(error)) from None
        return value

    def validate_url(self, value: str) -> str:
        try:
            check_webhook_url(value)
        except UnsafeURL as error:
            raise serializers.ValidationError(str(error)) from None
        return value

    def to_representation(self, subscription):
        data = super().to_representation(subscription)
        data["scope"] = subscription.scope_tag
        return data

    def create(self, validated_data):
        validated_data.pop("scope")
        return WebhookSubscription.objects.create(
            scope_kind=self._scope.kind, scope_key=self._scope.key, **validated_data
        )


EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"
WEBHOOK = docs.example("A webhook (its secret is shown only on create)", EXAMPLES / "webhook.json")
GONE = OpenApiExample(
    "Not one of your webhooks, or deleted already",
    value={"status": 404, "detail": "No WebhookSubscription matches the given query."},
    response_only=True,
    status_codes=["404"],
)
DELIVERY = docs.example("Retrying after a 500", EXAMPLES / "webhook_delivery.json")


@extend_schema_view(
    list=extend_schema(examples=[WEBHOOK]),
    create=extend_schema(examples=[WEBHOOK]),
    retrieve=extend_schema(examples=[WEBHOOK]),
    destroy=extend_schema(examples=[GONE]),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your webhooks: each POSTs the provision changes of a scope, signed as Standard Webhooks
    with the secret returned once, when it is created."""

    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated]
    reads_need_token = True  # documented 401/403 on reads too (atlas.schema)
    lookup_value_regex = "[^/]+"  # any id reaches the view: a JSON 404, never the CSRF page
    filter_backends = []

    def get_queryset(self):
        return WebhookSubscription.objects.filter(user=self.request.user).order_by("pk")

    def perform_create(self, serializer):
        serializer.context["created"] = True
        serializer.save(user=self.request.user)


class DeliverySerializer(serializers.ModelSerializer):
    webhook = serializers.IntegerField(source="subscription_id", read_only=True)
    webhook_id = serializers.CharField(read_only=True, help_text="The webhook-id header sent")
    change = serializers.IntegerField(source="change_id", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook",
            "webhook_id",
            "change",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(examples=[DELIVERY]), retrieve=extend_schema(examples=[DELIVERY])
)
class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log of your webhooks: each change's status, attempts, last status code and
    error, newest first."""

    serializer_class = DeliverySerializer
    permission_classes = [permissions.IsAuthenticated]
    reads_need_token = True
    lookup_value_regex = "[^/]+"
    filter_backends = []

    def get_queryset(self):
        return Delivery.objects.filter(subscription__user=self.request.user).order_by("-pk")
