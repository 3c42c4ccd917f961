from django.urls import path

from twoway.programs import views

urlpatterns = [
    path("programs/", views.programs_list, name="programs_list"),
    path("programs/new/", views.program_new, name="program_new"),
    path("programs/<int:program_id>/", views.program_detail, name="program_detail"),
    path("programs/<int:program_id>/edit/", views.program_edit, name="program_edit"),
    path("programs/<int:program_id>/status/", views.program_status, name="program_status"),
    path(
        "programs/<int:program_id>/enrolments/", views.program_enrolments, name="program_enrolments"
    ),
    path("programs/<int:program_id>/enrol/", views.program_enrol, name="program_enrol"),
    path("programs/<int:program_id>/withdraw/", views.program_withdraw, name="program_withdraw"),
    path("programs/<int:program_id>/rematch/", views.program_rematch, name="program_rematch"),
    path("programs/<int:program_id>/peers/", views.program_peers, name="program_peers"),
    path(
        "programs/<int:program_id>/peers/<int:person_id>/request/",
        views.request_new,
        name="request_new",
    ),
    path("programs/<int:program_id>/rounds/new/", views.round_create, name="round_create"),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/", views.round_detail, name="round_detail"
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/adjust/",
        views.round_adjust,
        name="round_adjust",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/publish/",
        views.round_publish,
        name="round_publish",
    ),
    path(
        "programs/<int:program_id>/rounds/<int:round_id>/discard/",
        views.round_discard,
        name="round_discard",
    ),
    path("requests/", views.requests, name="requests"),
    path("requests/<int:request_id>/respond/", views.request_respond, name="request_respond"),
    path("requests/<int:request_id>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("partnerships/", views.my_partnerships, name="my_partnerships"),
    path("blocks/", views.blocks, name="blocks"),
    path("blocks/add/<int:person_id>/", views.block_add, name="block_add"),
    path("blocks/<int:person_id>/remove/", views.block_remove, name="block_remove"),
]
