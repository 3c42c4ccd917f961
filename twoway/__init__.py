"""Twoway: peer mentorship at work."""
