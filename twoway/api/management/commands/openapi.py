"""`twoway openapi`: print the API's OpenAPI 3.1 document (committed as docs/openapi.json)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the public API's OpenAPI document (JSON) to stdout."

    def handle(self, *args: Any, **options: Any) -> None:
        from twoway.api.urls import api

        document = api.get_openapi_schema(path_prefix="/api/v1/")
        self.stdout.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
