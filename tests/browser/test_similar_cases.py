"""Similar cases in a real browser: an intake worker types a repeat caller's complaint and is
shown the caller's earlier case, still open, before filing a new one; the new case's page then
lists the earlier one among its similar cases."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.api import DemoApi
from tests.browser.test_staff_pages import open_when_listed

EARLIER = {
    "channel": "hotline", "category": "government_services",
    "subject": "烧烤店油烟扰民，夜间排烟直冲居民楼",
    "description": "小区楼下烧烤店每晚排放油烟，油烟直冲三楼住户窗户，投诉多次无人处理。",
    "filer": {"kind": "individual", "person_name": "赵先生", "phone": "13900000001"},
}


def test_an_intake_worker_typing_a_repeat_complaint_sees_the_earlier_case(
        server, new_page, sign_in, screenshot):
    earlier = DemoApi(server).file("intake", EARLIER)["reference"]
    intake = new_page("en")
    sign_in(intake, "intake")
    open_when_listed(intake, "/staff/intake", f"waiting-{earlier}")

    intake.get_by_label("Enterprise", exact=True).fill("黑河市赵氏便利店")
    intake.get_by_label("Phone", exact=True).fill("13900000001")
    intake.get_by_label("Category").select_option("government_services")
    intake.get_by_label("Subject").fill("楼下烧烤店油烟又来了")
    intake.get_by_label("What happened").fill("烧烤店晚上排油烟，熏到居民楼，之前投诉过还没处理。")

    live = intake.get_by_test_id("similar-live")
    expect(live).to_contain_text(earlier, timeout=30_000)
    expect(live.get_by_test_id(f"similar-{earlier}")).to_contain_text("油烟")
    expect(live.get_by_test_id(f"similar-{earlier}")).to_contain_text("Likeness")
    screenshot(intake, "intake-similar-open-case")

    intake.get_by_role("button", name="File the complaint").click()
    expect(intake).to_have_url(re.compile(r"/staff/intake/filed/HY-\d{4}-\d{6}$"))
    repeat = intake.get_by_test_id("reference").inner_text()
    intake.goto(f"/staff/cases/{repeat}")
    similar = intake.get_by_test_id("similar")
    expect(similar.get_by_test_id(f"similar-{earlier}")).to_be_visible()
    screenshot(intake, "case-similar-cases")

    similar.get_by_role("link", name=earlier).click()
    expect(intake.get_by_test_id("reference")).to_have_text(earlier)
