"""Links from before public version IDs keep working: they move, for good, to the public form.

Pages and the API once named versions by their database key (``/versions/2577/``,
``?version=2577``), which differs between installs. A key still reaching us is answered with a
301 to the same address written with the version's public ID (``D-000015@3f2a9c1e0b7d``); an
unknown key is a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpResponsePermanentRedirect

from provisions.models import Version


def redirect_with_query(request, path: str) -> HttpResponsePermanentRedirect:
    """A 301 to ``path``, keeping the request's query string."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)


def moved_version_query(request, *names: str) -> HttpResponsePermanentRedirect | None:
    """A 301 to this address with public IDs if any of the query parameters ``names``
    (default ``version``) holds a database key; None when none does."""
    query = request.GET.copy()
    keys = {name: query[name] for name in names or ("version",) if query.get(name, "").isdigit()}
    if not keys:
        return None
    found = {
        version.pk: version
        for version in Version.objects.filter(pk__in={int(key) for key in keys.values()}).only(
            "document_id", "sha256"
        )
    }
    for name, key in keys.items():
        if int(key) not in found:
            raise Http404(f"No stored version has the former ID {key}.")
        query[name] = found[int(key)].public_id
    return HttpResponsePermanentRedirect(f"{request.path}?{query.urlencode(safe='@')}")
