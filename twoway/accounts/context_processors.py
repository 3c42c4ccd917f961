from typing import Any

from django.http import HttpRequest


def current_org(request: HttpRequest) -> dict[str, Any]:
    """Expose the organization and membership checked by `org_view` to every template."""
    return {
        "org": getattr(request, "org", None),
        "membership": getattr(request, "membership", None),
    }
