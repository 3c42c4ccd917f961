"""Email over SMTP (Django's email backend): the transport the worker sends email rows with."""
