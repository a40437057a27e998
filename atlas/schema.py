"""The OpenAPI schema's shared parts (drf-spectacular): every endpoint's error responses.

Kept apart from ``atlas.api``, which DRF's views module imports while it loads (throttles and
content negotiation are class attributes of ``APIView``); drf-spectacular imports DRF's views.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample

from atlas.api import ErrorSerializer

ERRORS = {
    "400": "A malformed parameter or body (each one named in `parameters`)",
    "401": "No valid token (writes need `Authorization: Token …`)",
    "403": "The token's account may not do this",
    "404": "No such record, or a page past the last",
    "429": "Too many requests from this client; retry after `Retry-After` seconds",
    "503": "The sentence model could not be loaded on this server (`detail` says why)",
}


class AtlasAutoSchema(AutoSchema):
    """Documents the JSON error responses every endpoint can give, next to its own."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "404", "429"]
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes += ["401", "403"]
        if getattr(self.view, "needs_model", False):
            codes.append("503")
        for code in codes:
            if code not in responses:
                body = self._get_response_for_code(
                    ErrorSerializer, code, media_types=["application/json"], direction=direction
                )
                body["description"] = ERRORS[code]
                responses[code] = body
        return responses


# -- examples: one for each endpoint, from a real record's shape ----------------------------


def example(name: str, value, **kwargs) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, **kwargs)


LINK_ARTICLE = "§ 2252A(a); definition in § 2256(8)"
LINK_RATIONALE = (
    "Distributing, receiving or possessing CSAM, including computer-generated images "
    "indistinguishable from a real minor, is a federal crime: the conduct the clause forbids."
)
PLATFORM = {
    "slug": "openai",
    "name": "OpenAI",
    "website": "https://openai.com",
    "document_count": 4,
    "url": "https://atlas.example/api/v1/platforms/openai/",
    "page": "https://atlas.example/platforms/openai/",
}
DOCUMENT = {
    "record_id": "D-000012",
    "slug": "usage-policies",
    "name": "Usage Policies",
    "platform": "openai",
    "platform_name": "OpenAI",
    "latest_version": 412,
    "version_count": 23,
    "live_provision_count": 61,
    "url": "https://atlas.example/api/v1/documents/D-000012/",
    "page": "https://atlas.example/platforms/openai/usage-policies/",
}
VERSION = {
    "id": 412,
    "document": "D-000012",
    "platform": "openai",
    "ordinal": 23,
    "captured_at": "2025-10-29T17:04:11Z",
    "change_kind": "substantive",
    "added_count": 4,
    "removed_count": 2,
    "revised_count": 3,
    "sha256": "5f1c0e0d7d3c1f0a9e2b7c4d8a6e5f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f",
    "byte_size": 18234,
    "source_url": "https://openai.com/policies/usage-policies/",
    "origin": "ota",
    "origin_ref": "genai-contrib-versions@1a2b3c4d:OpenAI/Usage Policies.md",
    "url": "https://atlas.example/api/v1/versions/412/",
    "page": "https://atlas.example/versions/412/",
}
ASSIGNMENT = {
    "clause_type": {"slug": "csam", "name": "Child sexual abuse material"},
    "score": 0.9312,
    "confidence": "high",
    "basis": "classifier",
    "severity": "critical",
    "severity_rule": "default severity of the clause type “Child sexual abuse material”",
    "runner_up": {"slug": "child-exploitation", "name": "Grooming and exploitation of minors"},
    "runner_up_score": 0.0411,
}
PROVISION = {
    "record_id": "P-000123",
    "text": "Never use our services to generate child sexual abuse material.",
    "document": "D-000012",
    "platform": "openai",
    "heading_path": ["Usage Policies", "Protect people"],
    "kind": "item",
    "first_version": 398,
    "last_version": 412,
    "removed_in": None,
    "live": True,
    "revision_count": 2,
    "clause_type": ASSIGNMENT,
    "url": "https://atlas.example/api/v1/provisions/P-000123/",
    "page": "https://atlas.example/provisions/P-000123/",
}
PROVISION_DETAIL = {
    **PROVISION,
    "history": [
        {
            "version": 412,
            "ordinal": 23,
            "captured_at": "2025-10-29T17:04:11Z",
            "change_kind": "substantive",
            "revision": 2,
            "start": 1804,
            "end": 1867,
            "heading_path": ["Usage Policies", "Protect people"],
        }
    ],
    "revisions": [
        {"number": 2, "text": PROVISION["text"], "first_version": 405, "similarity": 0.93}
    ],
    "similar": [
        {
            "record_id": "P-004567",
            "platform": "anthropic",
            "text": "Do not create child sexual abuse material.",
            "similarity": 0.88,
            "rank": 1,
        }
    ],
    "regulations": [
        {
            "slug": "us-18-usc-2252a",
            "short_name": "18 U.S.C. § 2252A",
            "jurisdiction": "US",
            "status": "in_force",
            "article": LINK_ARTICLE,
            "rationale": LINK_RATIONALE,
            "basis": "clause type Child sexual abuse material",
        }
    ],
}
CITATION = {
    "kind": "provision",
    "record_id": "P-000123",
    "title": "OpenAI, Usage Policies (Usage Policies › Protect people), provision P-000123",
    "platform": "OpenAI",
    "document": "Usage Policies",
    "document_record_id": "D-000012",
    "version_id": 412,
    "captured_at": "2025-10-29T17:04:11Z",
    "origin": "ota",
    "origin_name": "Open Terms Archive",
    "origin_ref": "genai-contrib-versions@1a2b3c4d:OpenAI/Usage Policies.md",
    "commit": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    "source_url": "https://openai.com/policies/usage-policies/",
    "version_sha256": VERSION["sha256"],
    "text_sha256": "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b",
    "permalink": "https://atlas.example/provisions/P-000123/?version=412",
    "accessed": "2026-12-01",
    "publisher": "Atlas",
}
CITATION_TEXT = (
    "OpenAI, Usage Policies (Usage Policies › Protect people), provision P-000123. Atlas "
    "record P-000123, version 412 captured 2025-10-29T17:04:11Z (Open Terms Archive commit "
    "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b); sha256 5f1c0e0d7d3c1f0a, provision text sha256 "
    "9c8b7a6f5e4d3c2b. Atlas, https://atlas.example/provisions/P-000123/?version=412 "
    "(accessed 2026-12-01).\n"
)
CITATION_EXAMPLES = [
    example("JSON", CITATION, media_type="application/json"),
    example("Plain text", CITATION_TEXT, media_type="text/plain"),
]
CLAUSE_TYPE = {
    "slug": "csam",
    "name": "Child sexual abuse material",
    "category": "child-safety",
    "description": "Bans producing, requesting, sharing or promoting sexual content involving "
    "anyone under 18, including synthetic or AI-made imagery and text.",
    "default_severity": "critical",
    "discovered": False,
    "merged_into": None,
    "platforms_having": 14,
    "platforms_tracked": 18,
    "live_provisions": 37,
    "url": "https://atlas.example/api/v1/clause-types/csam/",
}
CLAUSE_TYPE_DETAIL = {
    **CLAUSE_TYPE,
    "prototypes": ["Material that sexually depicts children is banned outright."],
    "having": [{"slug": "openai", "name": "OpenAI", "live_provisions": 3}],
    "silent": [{"slug": "runway", "name": "Runway", "live_provisions": 0}],
    "regulations": [
        {
            "slug": "us-18-usc-2252a",
            "short_name": "18 U.S.C. § 2252A",
            "jurisdiction": "US",
            "article": LINK_ARTICLE,
            "rationale": LINK_RATIONALE,
        }
    ],
}
REGULATION = {
    "slug": "us-18-usc-2252a",
    "short_name": "18 U.S.C. § 2252A",
    "name": "Certain activities relating to material constituting or containing child pornography",
    "citation": "18 U.S.C. § 2252A (definitions in 18 U.S.C. § 2256(8))",
    "jurisdiction": "US",
    "jurisdiction_name": "United States",
    "level": "federal",
    "kind": "statutory-provision",
    "status": "in_force",
    "enacted": "",
    "in_force": "",
    "applies_from": "",
    "unverified": ["enacted", "in_force", "url", "authorities"],
    "url_official": "https://uscode.house.gov/view.xhtml?req=granuleid:USC-prelim-title18-section2252A",
    "url": "https://atlas.example/api/v1/regulations/us-18-usc-2252a/",
    "page": "https://atlas.example/regulations/us-18-usc-2252a/",
}
REGULATION_DETAIL = {
    **REGULATION,
    "summary": "Criminalises knowingly distributing, receiving, reproducing, selling, possessing "
    "or accessing with intent to view child sexual abuse material; …",
    "authorities": ["U.S. Department of Justice", "FBI"],
    "key_provisions": [],
    "notes": "",
    "sources": [],
    "clause_types": [
        {
            "slug": "csam",
            "name": "Child sexual abuse material",
            "article": LINK_ARTICLE,
            "rationale": LINK_RATIONALE,
        }
    ],
    "coverage": {
        "tracked": 18,
        "addressing": [
            {
                "slug": "openai",
                "name": "OpenAI",
                "live_provisions": 3,
                "provisions": "https://atlas.example/api/v1/provisions/"
                "?regulation=us-18-usc-2252a&platform=openai",
            }
        ],
        "silent": ["runway"],
    },
}
VERIFY = {
    "version": 412,
    "recorded_sha256": VERSION["sha256"],
    "computed_sha256": VERSION["sha256"],
    "match": True,
    "byte_size": 18234,
    "computed_byte_size": 18234,
    "verified_at": "2026-12-01T16:20:00Z",
}
CHANGE = {**VERSION, "previous_version": 409}
SEARCH_RESULT = {
    **PROVISION,
    "rank": 0.6079,
    "similarity": None,
    "snippet_html": "Never use our services to generate <mark>child</mark> sexual abuse material.",
}
