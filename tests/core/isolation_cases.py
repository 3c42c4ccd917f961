from tests.isolation import ANY_MEMBER, ORG_ADMIN, PUBLIC, SIGNED_IN, STAFF, Case, org_url, plain

CASES: dict[str, Case] = {
    "home": Case(plain("home"), SIGNED_IN),
    "healthz": Case(plain("healthz"), PUBLIC),
    "login": Case(plain("login"), PUBLIC),
    "logout": Case(plain("logout"), PUBLIC),
    "password_reset": Case(plain("password_reset"), PUBLIC),
    "password_reset_done": Case(plain("password_reset_done"), PUBLIC),
    "password_reset_confirm": Case(
        plain("password_reset_confirm", uidb64="MQ", token="set-password"), PUBLIC
    ),
    "password_reset_complete": Case(plain("password_reset_complete"), PUBLIC),
    "password_change": Case(plain("password_change"), SIGNED_IN),
    "password_change_done": Case(plain("password_change_done"), SIGNED_IN),
    "org_home": Case(org_url("org_home"), ANY_MEMBER),
    "my_profile": Case(org_url("my_profile"), ANY_MEMBER),
    "my_profile_edit": Case(org_url("my_profile_edit"), ANY_MEMBER),
    # Everyone here has a record already: the POST changes nothing and redirects.
    "person_setup": Case(org_url("person_setup"), ANY_MEMBER, method="post"),
    "directory": Case(org_url("directory"), ANY_MEMBER),
    "person_detail": Case(
        org_url("person_detail", person_id=lambda w: w.alice_person.pk), ANY_MEMBER
    ),
    "org_settings": Case(org_url("org_settings"), ORG_ADMIN),
    "members": Case(org_url("members"), ORG_ADMIN),
    "admin": Case(lambda w: "/admin/", STAFF),
}
