"""One package per outside system (email, Slack, …): its transport, its endpoints, its models.

Integrations call the domain's services and selectors and the outbox; they never import one
another, so adding or removing one touches nothing else.
"""
