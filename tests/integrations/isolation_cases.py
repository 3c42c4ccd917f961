from __future__ import annotations

from tests.isolation import ORG_ADMIN, PUBLIC, SIGNED_IN, Case, org_url, plain

# Slack's callbacks answer 403 to anything not signed with the signing secret — everyone here.
UNSIGNED = {"alice": 403, "bob": 403, "carol": 403, "dave": 403}

CASES: dict[str, Case] = {
    "slack_settings": Case(org_url("slack_settings"), ORG_ADMIN),
    # Without SLACK_CLIENT_ID the install link sends the admin back to the Slack settings page.
    "slack_install": Case(org_url("slack_install"), ORG_ADMIN, expect={"carol": 302}),
    "slack_disconnect": Case(org_url("slack_disconnect"), ORG_ADMIN, method="post"),
    "slack_oauth_callback": Case(plain("slack_oauth_callback"), SIGNED_IN),
    "slack_interactive": Case(plain("slack_interactive"), PUBLIC, expect=UNSIGNED, method="post"),
    "slack_command": Case(plain("slack_command"), PUBLIC, expect=UNSIGNED, method="post"),
}
