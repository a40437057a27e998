"""Every URL pattern of the site, found by walking ``atlas.urls``, so a new route is covered
(or, when it takes path parameters, fails loudly until it is given real ones)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

# What replaces a path parameter while reversing, then the hostile value (already
# percent-encoded) in the URL: it must match any converter (int, slug, [a-z0-9]+, [^/]+).
PLACEHOLDER = "918273645"
# A path parameter in an unnamed pattern's text: a regular expression's group or a converter.
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern text, the test's ID
    name: str | None  # "namespace:name", or None for an unnamed pattern
    callback: object
    parameters: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")

    @property
    def is_api(self) -> bool:
        """Its errors must be JSON (the schema and its docs page are documents, not data)."""
        return self.pattern.startswith("api/") and self.name not in ("schema", "api-docs")

    @property
    def is_format_suffix(self) -> bool:
        """The same view as the route without the suffix, so its query parameters are probed
        there."""
        return "format" in self.parameters


def walk(resolver=None, prefix: str = "", namespace: str | None = None):
    for entry in (resolver or get_resolver()).url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from walk(entry, text, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(text, name, entry.callback, tuple(entry.pattern.regex.groupindex))


def all_routes() -> list[Route]:
    routes = list(walk())
    # The prefixes' own groups (none today) would be missing from the pattern's groupindex.
    return sorted(set(routes), key=lambda r: r.pattern)


def admin_kwargs(records) -> dict[str, dict]:
    """Each registered model's admin routes, pointing at its first row (or a missing pk)."""
    kwargs = {}
    for model in admin.site._registry:
        opts = model._meta
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        for kind in ("change", "delete", "history"):
            kwargs[f"admin:{opts.app_label}_{opts.model_name}_{kind}"] = {
                "object_id": str(first or 1)
            }
    kwargs["admin:auth_user_password_change"] = {"id": str(getattr(records["user"], "pk", 1))}
    kwargs["admin:app_list"] = {"app_label": "provisions"}
    kwargs["admin:view_on_site"] = {
        "content_type_id": str(records["provision_content_type"]),
        "object_id": str(records["provisions"].first().pk),
    }
    return kwargs


def real_kwargs(records) -> dict[str | object, dict]:
    """Real values for each named route's path parameters (``format`` is added by url_for)."""
    platform, document = records["alpha"].platform.slug, records["alpha"].slug
    version, provision = records["version"].public_id, records["csam"].record_id
    former = str(records["version"].pk)  # a version's database key: its links redirect
    clause_type, regulation = records["clause_type"].slug, records["regulation"].slug
    return {
        "provisions:platform": {"slug": platform},
        "provisions:document": {"platform": platform, "slug": document},
        "provisions:diff": {"platform": platform, "slug": document},
        "provisions:version": {"version_id": version},
        "provisions:verify": {"version_id": version},
        "provisions:version-moved": {"pk": former},
        "provisions:verify-moved": {"pk": former},
        "provisions:detail": {"record_id": provision},
        "comparisons:clause_type": {"slug": clause_type},
        "regulations:detail": {"slug": regulation},
        "changes:change": {"pk": "1"},
        "changes:platform": {"key": platform},
        "changes:document": {"platform": platform, "slug": document},
        # The world's documents have one variant each: the real probe is a 404.
        "changes:variants": {"platform": platform, "slug": document},
        "changes:clause_type": {"key": clause_type},
        "changes:provision": {"key": provision},
        "changes:regulation": {"key": regulation},
        "api:platform-detail": {"slug": platform},
        "api:platform-document": {"slug": platform, "document_slug": document},
        **{f"api:document-{k}": {"pk": records["alpha"].record_id} for k in ("detail", "citation")},
        **{f"api:version-{k}": {"pk": version} for k in ("detail", "citation", "verify")},
        **{f"api:provision-{k}": {"pk": provision} for k in ("detail", "citation", "curate")},
        "api:clausetype-detail": {"slug": clause_type},
        "api:regulation-detail": {"slug": regulation},
        # The world declares no document: the real probe is a 404, the hostile ones must not 500.
        "api:tracking-detail": {"pk": "1"},
        # No webhook in the world: the real probe is a 404 (or 401 anonymously).
        "api:webhook-detail": {"pk": "1"},
        "api:webhook-delivery-detail": {"pk": "1"},
        # Unnamed: the catch-alls, and the admin's redirect from an object's old URL.
        None: {"path": "nothing/here", "url": "nothing/here/", "object_id": "1"},
        **admin_kwargs(records),
    }


def url_for(route: Route, known: dict, hostile: dict[str, str] | None = None) -> str:
    """The route's URL with real path parameters, except those in ``hostile`` (parameter ->
    percent-encoded value), which are put in verbatim."""
    if route.parameters and route.name not in known and route.parameters != ("format",):
        raise LookupError(f"{route.pattern}: give its path parameters real values in real_kwargs")
    values = {"format": "json", **known.get(route.name, {})}
    hostile = hostile or {}
    marked = {name: PLACEHOLDER if name in hostile else values[name] for name in route.parameters}
    if route.name is None:  # not reversible: fill in the regular expression's groups
        url = "/" + GROUP.sub(lambda m: marked[m.group(1) or m.group(2)], route.pattern).replace(
            "^", ""
        )
        url = url.replace("$", "")
    else:
        try:
            url = reverse(route.name, kwargs=marked)
        except NoReverseMatch:
            return ""  # a converter with a fixed choice (DRF's format suffix): no room
    for name in route.parameters:
        if name in hostile:
            url = url.replace(PLACEHOLDER, hostile[name], 1)
    return url


def encoded(text: str) -> str:
    return quote(text, safe="")
