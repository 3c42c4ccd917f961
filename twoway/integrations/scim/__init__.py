"""SCIM 2.0 provisioning (RFC 7643/7644): an identity provider keeps the directory in step.

The protocol — routing, validation, PATCH, filters' syntax, errors — is scim2-server's; this
package gives it a storage over the directory (`storage.py`), authenticates each organization's
bearer tokens (`tokens.py`) and serves it under /scim/v2/ (`views.py`). Every write goes through
the directory services, the same doors the CSV import uses.
"""
