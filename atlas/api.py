"""What every Atlas API endpoint shares: pagination, ordering, throttles, errors, caching.

The apps' ``api.py`` modules hold their serializers and viewsets; the router is in
``atlas/urls.py``. Every error is JSON of one shape (``ErrorSerializer``), and a malformed
query parameter is a 400 naming it, never a silent default.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from rest_framework import (
    exceptions,
    filters,
    negotiation,
    pagination,
    parsers,
    serializers,
    status,
    throttling,
)
from rest_framework.response import Response

from atlas.errors import error_response


class ModelUnavailableError(exceptions.APIException):
    """503: the sentence model could not be loaded in this process (see
    ``provisions.embeddings.ModelUnavailable``); what does not need it still works."""

    status_code = 503
    default_detail = "The sentence model is unavailable on this server."
    default_code = "model_unavailable"


WARMING_UP_RETRY_AFTER = 30  # seconds: the worker embeds and trains for a minute or two


class WarmingUpError(ModelUnavailableError):
    """503 while the worker is still preparing what the model needs (the wordings'
    embeddings, the classifier): ``progress`` says how far it has got, ``Retry-After`` when to
    ask again."""

    default_code = "warming_up"
    wait = WARMING_UP_RETRY_AFTER  # DRF's exception handler sends it as Retry-After

    def __init__(self, detail: str, *, embedded: int, total: int):
        super().__init__(detail)
        self.progress = {"embedded": embedded, "total": total}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The body is too large."
    default_code = "too_large"


# Deeper than any body the API accepts (the deepest is an object of lists); far below the
# depth at which Python's json module or anything walking the result runs out of stack.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, for hostile bodies: a 413 above DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads
    the stream itself, so Django's own limit never applies), a 400 for nesting deeper than
    MAX_JSON_DEPTH (``[[[…]]]`` raised RecursionError, a 500) and for a NUL character in any
    string, key or value, which PostgreSQL cannot store (the 400 names the field)."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        limit, length = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, meta.get("CONTENT_LENGTH") or "0"
        if limit is not None and (not length.isdigit() or int(length) > limit):
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None
        check_json_values(data)
        return data


def check_json_values(data) -> None:
    """Walk a parsed body without recursion; raise a 400 for depth or a NUL character."""
    pending = [(data, "body", 0)]
    while pending:
        value, name, depth = pending.pop()
        if isinstance(value, dict | list) and depth >= MAX_JSON_DEPTH:
            raise exceptions.ParseError(TOO_DEEP)
        if isinstance(value, str):
            if "\x00" in value:
                raise exceptions.ValidationError({name: ["Must not contain a NUL character."]})
        elif isinstance(value, dict):
            for key, item in value.items():
                field = key if depth == 0 else f"{name}.{key}"
                if "\x00" in key:
                    raise exceptions.ValidationError(
                        {field.replace("\x00", "\\x00"): ["Must not contain a NUL character."]}
                    )
                pending.append((item, field, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, f"{name}[{i}]", depth + 1) for i, item in enumerate(value))


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        for name, ceiling in (("page", None), ("page_size", self.max_page_size)):
            value = request.query_params.get(name)
            if value is None or (name == "page" and value in self.last_page_strings):
                continue
            if not value.isdigit() or int(value) < 1 or (ceiling and int(value) > ceiling):
                limit = f" and at most {ceiling}" if ceiling else ""
                raise exceptions.ValidationError({name: [f"Must be an integer ≥ 1{limit}."]})
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, request, view)
        # The page's primary keys first (OFFSET over the bare, filtered table), then its rows
        # with all their joins: a deep page costs what a first page does.
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True), request, view)
        rows = queryset.order_by().in_bulk(ids)
        return [rows[pk] for pk in ids]


class StrictOrderingFilter(filters.OrderingFilter):
    """``?ordering=`` with an unknown field is a 400 naming it (DRF would ignore it)."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [f.strip() for f in params.split(",") if f.strip()]
            valid = {
                name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
            }
            unknown = [f for f in fields if f.lstrip("-") not in valid]
            if unknown or not fields:
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            f"Unknown field(s): {', '.join(unknown) or params}; "
                            f"use {', '.join(sorted(valid))}."
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)


class AnonThrottle(throttling.AnonRateThrottle):
    """Per client address; the rate is read per request, so settings changes apply at once."""

    def get_rate(self):
        return settings.API_THROTTLE_ANON


class AddressThrottle(throttling.SimpleRateThrottle):
    """Requests of one kind (``scope``) per client address, at the rate the setting named by
    ``rate_setting`` gives, counted in the shared cache as the API's throttles are. An API
    view lists it in ``throttle_classes``; a form view calls ``refused``."""

    rate_setting = ""

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def refused(self, request, detail: str) -> HttpResponse | None:
        """For a plain Django view: counts this request; once the rate is spent, the 429 to
        answer (JSON under /api/, else the site's page) with ``Retry-After``; else None."""
        if self.allow_request(request, None):
            return None
        response = error_response(request, 429, detail)
        response["Retry-After"] = str(int(self.wait() or 60))
        return response


class UserThrottle(throttling.UserRateThrottle):
    """Per token's account. Anonymous clients are AnonThrottle's alone: DRF's user throttle
    would also count them by address, capping an anonymous rate set above the user rate."""

    def get_rate(self):
        return settings.API_THROTTLE_USER

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # not throttled by this class
        return super().get_cache_key(request, view)


class ErrorSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    detail = serializers.CharField()
    parameters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For 400: each malformed parameter or body field, with what is wrong",
    )


class ProgressSerializer(serializers.Serializer):
    embedded = serializers.IntegerField()
    total = serializers.IntegerField()


class UnavailableSerializer(ErrorSerializer):
    parameters = None  # a 503 names no parameter
    progress = ProgressSerializer(
        required=False, help_text="While warming up: how many texts the worker has embedded"
    )


def exception_handler(exc, context):
    # Imported here: DRF's views module imports this one (throttles) while it loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(f"The body is larger than {limit} bytes.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"body": exc.detail}
        parameters = {
            name: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for name, messages in detail.items()
        }
        response.data = {
            "status": response.status_code,
            "detail": f"Invalid parameter(s): {', '.join(parameters)}.",
            "parameters": parameters,
        }
    else:
        data = response.data if isinstance(response.data, dict) else {}
        response.data = {
            "status": response.status_code,
            "detail": str(data.get("detail", exc)),
        }
    if isinstance(exc, WarmingUpError):
        response.data["progress"] = exc.progress
    return response


def conditional_response(request, data, *, last_modified) -> Response:
    """A Response with ETag (of the content) and Last-Modified; 304 when the client has it."""
    media = getattr(request, "accepted_media_type", "") or ""
    digest = hashlib.sha256(
        (json.dumps(data, sort_keys=True, default=str) + media).encode()
    ).hexdigest()
    etag = f'"{digest[:32]}"'
    timestamp = int(last_modified.timestamp()) if last_modified else None
    response = Response(data)
    response["ETag"] = etag
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    return get_conditional_response(request, etag=etag, last_modified=timestamp, response=response)


class ConditionalRetrieveMixin:
    """``retrieve`` with ETag and Last-Modified (``get_last_modified``): 304 when the client
    has it. Viewsets attach what their detail serializer shows in ``get_object``."""

    # No docstring on the method: drf-spectacular would show it as the operation's description.
    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.get_serializer(instance).data
        return conditional_response(request, data, last_modified=self.get_last_modified(instance))

    def get_last_modified(self, instance):
        return instance.updated_at


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """An unknown ``?format=`` is a 400 naming the parameter (DRF answers 404)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            formats = ", ".join(r.format for r in renderers if r.format != "api")
            raise exceptions.ValidationError(
                {self.settings.URL_FORMAT_OVERRIDE: [f"Unknown format; use one of: {formats}."]}
            ) from None


def not_found(request, path=""):
    """Any other path under /api/: a JSON 404, like unknown records."""
    return JsonResponse(
        {"status": 404, "detail": f"No API endpoint at {request.path}."}, status=404
    )
