"""Check-in pages, mounted under o/<org>/partnerships/<id>/ (see twoway/urls.py)."""

from django.urls import path

from twoway.meetings import views

partnership_patterns = [
    path("schedule/", views.checkin_schedule, name="checkin_schedule"),
    path("schedule/check-ins.ics", views.checkin_series_ics, name="checkin_series_ics"),
    path("checkins/new/", views.checkin_informal, name="checkin_informal"),
    path("checkins/<int:checkin_id>/", views.checkin_detail, name="checkin_detail"),
]

org_patterns = [
    path("calendar/", views.calendar_settings, name="calendar_settings"),
]

public_patterns = [
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
