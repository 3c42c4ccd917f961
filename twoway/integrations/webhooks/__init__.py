"""Webhooks: signed HTTPS deliveries of domain events to endpoints an org admin registers."""
