"""Public URLs of the partnership space: the secret calendar feed (no sign-in)."""

from twoway.meetings.urls import public_patterns

urlpatterns = [*public_patterns]
