from django.urls import path

from twoway.insights import views

urlpatterns = [
    path("programs/<int:program_id>/insights/", views.program_insights, name="program_insights"),
    path(
        "programs/<int:program_id>/insights.csv",
        views.program_insights_csv,
        name="program_insights_csv",
    ),
    path("me/insights/", views.my_insights, name="my_insights"),
    path(
        "me/insights/recommend/<int:partnership_id>/",
        views.closing_survey,
        name="closing_survey",
    ),
]
