from django.urls import path

from twoway.goals import views

partnership_patterns = [
    path("goals/new/", views.goal_create, name="goal_create"),
    path("goals/<int:goal_id>/", views.goal_detail, name="goal_detail"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="goal_edit"),
]
