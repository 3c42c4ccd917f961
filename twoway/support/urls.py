from django.urls import path

from twoway.support import views

partnership_patterns = [
    path("support/", views.support_page, name="partnership_support"),
    path("support/uncertain/", views.uncertain_flag, name="uncertain_flag"),
]

org_patterns = [
    path("boundaries/", views.boundaries, name="boundaries"),
]
