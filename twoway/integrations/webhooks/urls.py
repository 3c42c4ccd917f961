from django.urls import path

from twoway.integrations.webhooks import views

# Mounted at /o/<org>/settings/.
org_patterns = [
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:endpoint_id>/delete/", views.webhook_delete, name="webhook_delete"),
]
