"""The public JSON API (/api/v1/): django-ninja over the same services as the pages.

Keys belong to one organization and carry scopes; every object is looked up within the key's
organization, so another organization's id is a 404. Errors are RFC 9457 problem details.
"""
