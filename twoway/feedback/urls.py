from django.urls import path

from twoway.feedback import views

partnership_patterns = [
    path("feedback/", views.feedback_page, name="partnership_feedback"),
    path("fit/", views.fit_check, name="fit_check"),
    path("checkins/<int:checkin_id>/pulse/", views.pulse, name="pulse"),
]

org_patterns = [
    path("wellbeing/", views.wellbeing, name="wellbeing"),
]
