"""``/api/v1/variant-differences/``: the variants page (``changes.views.variant_differences``)
as JSON, computed by the same function (``changes.variants.compare_variants``)."""

from __future__ import annotations

from pathlib import Path

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from atlas import schema as docs
from changes.models import Direction, Significance
from changes.variants import NoVersion, compare_variants, end_of_day
from provisions.api import get_by_record_id
from provisions.models import Document

EXAMPLES = Path(__file__).resolve().parent / "data" / "api_examples"
KINDS = {
    "only_a": "Only in variant a",
    "only_b": "Only in variant b",
    "reworded": "In both, worded differently (typography included)",
}


class VariantDifferenceParameters(serializers.Serializer):
    document = serializers.CharField(
        max_length=20, help_text="The document's record ID, like D-000015"
    )
    a = serializers.CharField(
        max_length=40,
        required=False,
        help_text="A variant's slug: `default` for the undeclared one, else its key "
        "(`eu-en`). Default: the document's first variant",
    )
    b = serializers.CharField(
        max_length=40, required=False, help_text="The other variant. Default: the second one"
    )
    at = serializers.DateField(
        required=False,
        help_text="Compare the texts as they stood at the end of this day (UTC). Default: the "
        "earlier of the two variants' last captures",
    )
    significance = serializers.ChoiceField(
        choices=["all", "substantive"],
        default="all",
        help_text="`substantive`: only the differences that change a rule",
    )


class SideSerializer(serializers.Serializer):
    slug = serializers.CharField(source="variant.slug")
    region = serializers.CharField(source="variant.region")
    language = serializers.CharField(source="variant.language", help_text="Blank when unknown")
    label = serializers.CharField(source="variant.label")
    collection = serializers.CharField(
        source="variant.collection", help_text="The source collection it was first read from"
    )
    version = serializers.CharField(
        source="version.public_id", help_text="The version compared: in force on `at`"
    )
    captured_at = serializers.DateTimeField(
        help_text="Its last capture on or before `at`, the one compared"
    )
    sha256 = serializers.CharField(source="version.sha256")
    url = serializers.SerializerMethodField()

    def get_url(self, side) -> str:
        return self.context["request"].build_absolute_uri(side.version.get_absolute_url())


class ClauseSerializer(serializers.Serializer):
    record_id = serializers.CharField(help_text="The provision, in its variant")
    text = serializers.CharField(help_text="Verbatim, cut from the compared version")
    heading_path = serializers.ListField(child=serializers.CharField())


class DifferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(KINDS.items()))
    significance = serializers.ChoiceField(choices=Significance.choices)
    rule = serializers.CharField(source="verdict.rule")
    explanation = serializers.CharField(source="reason")
    direction = serializers.ChoiceField(
        choices=Direction.choices,
        source="verdict.direction",
        help_text="As a change from a to b: `more_restrictive` means b is the stricter text",
    )
    direction_reason = serializers.CharField(source="direction_text", allow_blank=True)
    similarity = serializers.FloatField(allow_null=True, help_text="Word similarity, reworded")
    a = ClauseSerializer(allow_null=True)
    b = ClauseSerializer(allow_null=True)


class CountsSerializer(serializers.Serializer):
    only_a = serializers.IntegerField()
    only_b = serializers.IntegerField()
    reworded = serializers.IntegerField()
    same = serializers.IntegerField(help_text="Provisions with the same wording in both")
    substantive = serializers.IntegerField(help_text="Of all the differences")


class VariantDiffSerializer(serializers.Serializer):
    document = serializers.CharField()
    at = serializers.DateTimeField(help_text="The texts as they stood then")
    a = SideSerializer()
    b = SideSerializer()
    counts = CountsSerializer(help_text="Of every difference, whatever `significance` shows")
    differences = DifferenceSerializer(many=True, help_text="Substantive first")


@extend_schema_view(
    list=extend_schema(
        summary="How two variants of a document differ (the EU text and the global one)",
        parameters=[VariantDifferenceParameters],
        responses=VariantDiffSerializer,
        examples=[docs.example("EU and global terms", EXAMPLES / "variant-differences.json")],
    )
)
class VariantDifferenceViewSet(viewsets.ViewSet):
    """Both variants' texts as they stood on one day (``at``); clauses paired as between
    versions and each difference graded by the rules that grade changes."""

    def list(self, request, format=None):
        parameters = VariantDifferenceParameters(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        options = parameters.validated_data
        document = get_by_record_id(Document.objects.all(), "D", options["document"])
        variants = list(document.variants.order_by("id"))
        if len(variants) < 2:
            raise exceptions.NotFound("This document has a single variant.")
        by_slug = {variant.slug: variant for variant in variants}
        chosen = {}
        for name, default in (("a", variants[0]), ("b", variants[1])):
            wanted = options.get(name)
            chosen[name] = by_slug.get(wanted) if wanted else default
            if chosen[name] is None:
                raise exceptions.ValidationError(
                    {name: [f"No variant {wanted!r}; this document has: {', '.join(by_slug)}."]}
                )
        a, b = chosen["a"], chosen["b"]
        if a.pk == b.pk:
            raise exceptions.ValidationError({"b": ["Choose a variant other than a."]})
        try:
            at = options.get("at")
            diff = compare_variants(a, b, end_of_day(at) if at else None)
        except NoVersion as error:
            raise exceptions.NotFound(str(error)) from None
        shown = diff.differences
        if options["significance"] == "substantive":
            shown = diff.substantive
        body = {
            "document": document.record_id,
            "at": diff.at,
            "a": diff.a,
            "b": diff.b,
            "counts": {**diff.counts, "same": diff.same, "substantive": len(diff.substantive)},
            "differences": shown,
        }
        return Response(VariantDiffSerializer(body, context={"request": request}).data)
