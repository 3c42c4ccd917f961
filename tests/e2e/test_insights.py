"""The demo organization's program dashboard in Chromium: every section shows real figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_programs import sign_in
from twoway.demo import demo_build
from twoway.demo.seed import seed_organization
from twoway.programs.models import Program

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/twoway-insights.png"


def test_a_program_manager_sees_every_chart_of_the_demo_dashboard(
    live_server: Any, page: Any, transactional_db: None
) -> None:
    result = seed_organization(people=160, seed=3, slug="north")
    demo_build(org=result.org, seed=3)
    program = Program.objects.get(organization=result.org, name="Peer partners 2026")
    base = live_server.url
    sign_in(page, base, result.sign_ins["Program manager"][0])
    page.goto(f"{base}/o/north/programs/{program.pk}/")
    page.click("a.button:text-is('Insights')")
    page.wait_for_selector("h1:has-text('Insights: Peer partners 2026')")
    for chart in ("funnel", "cadence", "wellbeing", "retention", "fit"):
        assert page.locator(f"svg[aria-labelledby='{chart}-t {chart}-d']").is_visible(), chart
    for heading in (
        "Funnel",
        "Meeting cadence",
        "Goals",
        "Wellbeing",
        "Retention",
        "Satisfaction",
        "Who takes part",
    ):
        assert page.locator(f"h2:has-text('{heading}')").is_visible(), heading
    assert page.locator("text=Not enough answers yet").count() == 0
    assert page.locator("text=Association, not proof").is_visible()
    assert page.locator("text=Log-rank test").is_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)
    with page.expect_download() as download:
        page.click("text=Download CSV")
    assert download.value.suggested_filename.endswith("-insights.csv")
