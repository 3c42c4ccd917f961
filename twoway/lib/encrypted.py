"""A text field stored encrypted (twoway.lib.crypto) and read as plain text.

For what a person confides to one reader: feedback, pulse words, reflections, ending reasons,
HR messages, goals and their history (EncryptedJSONField holds a JSON value the same way). The
database, a backup and `twoway dumpdata` hold only Fernet tokens; the models and services read
and write plain strings as before. An empty value stays empty (it says only that nothing was
written). Such a field cannot be searched or filtered by its content: none of these are.
"""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

from twoway.lib import crypto

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte, then the timestamp)


class EncryptedTextField(models.TextField):
    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> Any:
        # loaddata hands back what dumpdata wrote: the token.
        if isinstance(value, str) and value.startswith(TOKEN_PREFIX):
            try:
                return crypto.decrypt(value)
            except crypto.InvalidToken:
                return value
        return super().to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)

    def value_to_string(self, obj: models.Model) -> str:
        # dumpdata: the token, never the plain text.
        value = self.value_from_object(obj)
        return crypto.encrypt(value) if value else (value or "")


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (a dict, a list) stored as one token: a goal's history keeps a private
    goal's title as it was before and after each change. Not queryable by its content."""

    # What the model attribute holds, for django-stubs: JSON values, not strings.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else text

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            text = super().to_python(value)  # a token from dumpdata opens to its JSON text
            return json.loads(text) if text else text
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return crypto.encrypt(json.dumps(value, cls=DjangoJSONEncoder))

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else crypto.encrypt(json.dumps(value, cls=DjangoJSONEncoder))


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every encrypted field of the installed models."""
    return [
        (model._meta.db_table, f.column)
        for model in apps.get_models()
        for f in model._meta.local_fields
        if isinstance(f, EncryptedTextField)
    ]


def rewrite_column(table: str, column: str, change: Any, *, batch: int = 500) -> int:
    """Apply `change` to every non-empty value of one column, by primary key, in batches;
    returns how many values were rewritten. Raw SQL, so that it works on values in either
    form (a migration encrypting plain text, a rotation re-encrypting tokens)."""
    qn = connection.ops.quote_name
    done, last = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {qn(column)} FROM {qn(table)} WHERE id > %s "
                f"AND {qn(column)} <> '' ORDER BY id LIMIT %s",
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            for pk, value in rows:
                cursor.execute(
                    f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE id = %s", [change(value), pk]
                )
            done += len(rows)
            last = rows[-1][0]


def encrypted_fields_rotate() -> int:
    """Re-encrypt every encrypted field with the newest key (`twoway rotate_encryption`)."""
    return sum(rewrite_column(t, c, crypto.reencrypt) for t, c in encrypted_columns())


def encrypt_plain_values(table: str, column: str) -> int:
    """For the migration that moves a column to EncryptedTextField: encrypt what is still
    plain text (a value already a token is left alone, so running it twice is harmless)."""

    def change(value: str) -> str:
        return value if value.startswith(TOKEN_PREFIX) else crypto.encrypt(value)

    return rewrite_column(table, column, change)


def decrypt_tokens(table: str, column: str) -> int:
    """The reverse of encrypt_plain_values, for migrating back."""

    def change(value: str) -> str:
        return crypto.decrypt(value) if value.startswith(TOKEN_PREFIX) else value

    return rewrite_column(table, column, change)


def encrypt_migration(app: str, fields: dict[str, list[str]]) -> Any:
    """A RunPython operation encrypting the existing values of `fields` ({model: [field]})."""
    from django.db import migrations

    def columns(registry: Any) -> list[tuple[str, str]]:
        found = []
        for model_name, names in fields.items():
            model = registry.get_model(app, model_name)
            found += [(model._meta.db_table, model._meta.get_field(n).column) for n in names]
        return found

    def forward(registry: Any, schema_editor: Any) -> None:
        for table, column in columns(registry):
            encrypt_plain_values(table, column)

    def backward(registry: Any, schema_editor: Any) -> None:
        for table, column in columns(registry):
            decrypt_tokens(table, column)

    return migrations.RunPython(forward, backward)
