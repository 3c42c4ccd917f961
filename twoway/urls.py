from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from twoway.accounts import views as account_views
from twoway.accounts.forms import SignInForm
from twoway.api import urls as api_urls
from twoway.core import views as core_views
from twoway.directory import urls as directory_urls
from twoway.integrations.email.password_reset import OutboxPasswordResetForm
from twoway.integrations.scim import urls as scim_urls
from twoway.integrations.slack import urls as slack_urls
from twoway.integrations.sso import urls as sso_urls
from twoway.integrations.webhooks import urls as webhook_urls
from twoway.notifications import urls as notification_urls
from twoway.people import views as people_views

org_patterns: list[URLPattern | URLResolver] = [
    path("", core_views.org_home, name="org_home"),
    path("me/", people_views.my_profile, name="my_profile"),
    path("me/edit/", people_views.my_profile_edit, name="my_profile_edit"),
    path("me/setup/", people_views.person_setup, name="person_setup"),
    path("people/", people_views.directory, name="directory"),
    path("people/<int:person_id>/", people_views.person_detail, name="person_detail"),
    path("settings/", account_views.org_settings, name="org_settings"),
    path("settings/members/", account_views.members, name="members"),
    path("settings/skills/", people_views.skill_vocabulary, name="skill_vocabulary"),
    path("settings/skills/merge/", people_views.skill_merge_view, name="skill_merge"),
    path(
        "settings/skills/<int:skill_id>/rename/",
        people_views.skill_rename_view,
        name="skill_rename",
    ),
    path("", include("twoway.partnerships.urls")),  # the partnership space
]

auth_patterns = [
    path(
        "login/",
        core_views.SignInView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

urlpatterns = [
    path("", core_views.root, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include(auth_patterns)),
    path("o/<slug:org_slug>/", include(org_patterns)),
    path("o/<slug:org_slug>/", include("twoway.programs.urls")),
    path("o/<slug:org_slug>/", include("twoway.insights.urls")),  # program insights
    path("o/<slug:org_slug>/settings/", include(notification_urls.org_patterns)),
    path("o/<slug:org_slug>/settings/", include(directory_urls.org_patterns)),
    path("", include(directory_urls.public_patterns)),  # invitation links
    path("n/", include(notification_urls.public_patterns)),
    path("o/<slug:org_slug>/settings/", include(slack_urls.org_patterns)),
    path("n/", include(slack_urls.public_patterns)),
    path("o/<slug:org_slug>/settings/", include(scim_urls.org_patterns)),
    path("scim/v2/", include(scim_urls.public_patterns)),
    path("api/v1/", include(api_urls.urlpatterns)),
    path("o/<slug:org_slug>/settings/", include(api_urls.org_patterns)),
    path("o/<slug:org_slug>/settings/", include(sso_urls.org_patterns)),
    path("sso/", include(sso_urls.urlpatterns)),
    path("o/<slug:org_slug>/settings/", include(webhook_urls.org_patterns)),
    path("admin/", admin.site.urls),
    path("", include("twoway.partnerships.public_urls")),  # calendar feeds
]
