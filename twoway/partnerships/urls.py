"""Every page of the partnership space, mounted at o/<org>/ (see twoway/urls.py).

Pages of one partnership live under partnerships/<id>/ — the list of my partnerships
(partnerships/ itself) belongs to programs. Each app keeps its own patterns; this gathers them.
"""

from django.urls import include, path

from twoway.feedback import urls as feedback_urls
from twoway.goals import urls as goals_urls
from twoway.meetings import urls as meetings_urls
from twoway.partnerships import views
from twoway.support import urls as support_urls

partnership_patterns = [
    path("", views.partnership_home, name="partnership_home"),
    path("end/", views.partnership_end, name="partnership_end"),
    path("reflection/", views.partnership_reflection, name="partnership_reflection"),
    *goals_urls.partnership_patterns,
    *meetings_urls.partnership_patterns,
    *feedback_urls.partnership_patterns,
    *support_urls.partnership_patterns,
]

urlpatterns = [
    path("partnerships/<int:partnership_id>/", include(partnership_patterns)),
    *meetings_urls.org_patterns,
    *feedback_urls.org_patterns,
    *support_urls.org_patterns,
]
