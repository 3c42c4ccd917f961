"""The insights page on a 390 px phone (issue 14, item 7): nothing wider than the screen, the
wellbeing table included, and chart legends in page-size text rather than shrunk with the SVG."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, World
from tests.e2e.test_programs import sign_in
from tests.insights.attacker import DAY0, folks, meet, pairs, program, pulse
from twoway.insights.aggregate import insights_refresh

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SCREENSHOT = "/tmp/twoway-insights-phone.png"


def test_the_dashboard_fits_a_phone_and_its_legends_are_readable(
    live_server: Any,
    browser: Any,
    transactional_db: None,
    world: World,
) -> None:
    peers = program(world, "A program with a rather long name for a phone")
    people = folks(world, 12, "Phone")
    for partnership in pairs(peers, people, DAY0):
        meet(partnership, DAY0 + dt.timedelta(days=6))
    for person, b, a in zip(people, [2, 3, 2, 4, 3, 3] * 2, [4, 3, 3, 5, 5, 4] * 2, strict=True):
        pulse(person, DAY0 - dt.timedelta(days=2), belonging=b, stress=5 - b + 1)
        pulse(person, DAY0 + dt.timedelta(days=70), belonging=a, stress=5 - a + 1)
    folks(world, 8, "Not in it")
    insights_refresh(timezone.now())

    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server.url, "bob@acme.example", PASSWORD)
        page.goto(f"{live_server.url}/o/acme/programs/{peers.pk}/insights/")
        page.wait_for_selector("h2:has-text('Wellbeing')")
        for details in page.locator("details.data").all():
            details.evaluate("d => d.open = true")
        assert page.locator(".wellbeing-table").is_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        # Every table sits inside a box no wider than the screen (it scrolls, the page does not).
        widest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('.table-scroll')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= PHONE["width"], widest
        sizes = page.evaluate(
            "[...document.querySelectorAll('.chart-legend li')]"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert sizes and min(sizes) >= 14, sizes
        assert page.locator("text=The vertical axis runs from 0 % to 100 %").is_visible()
        page.screenshot(path=SCREENSHOT, full_page=True)
    finally:
        context.close()
