from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from twoway.lib import crypto
from twoway.lib.encrypted import encrypted_fields_rotate
from twoway.meetings.services import private_notes_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every private note, and every other encrypted field (feedback, pulse words, "
        "reflections, ending reasons, HR messages), with the newest key in "
        "TWOWAY_ENCRYPTION_KEYS. "
        "Rotate by putting a new key first, running this, then dropping the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        crypto.reset_keys()
        count = private_notes_rotate()
        self.stdout.write(f"Re-encrypted {count} private note{'s' if count != 1 else ''}.")
        values = encrypted_fields_rotate()
        self.stdout.write(f"Re-encrypted {values} other private value{'s' if values != 1 else ''}.")
