"""The browser harness itself: it catches what it is meant to catch."""

import pytest

from tests.e2e.accessibility import (
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    axe_violations,
)


def test_axe_reports_a_planted_violation(live_server, page, demo_commune):
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const button = document.createElement("button");
            document.querySelector("main").append(button);  // a button with no name
        }"""
    )
    violations = axe_violations(page)
    assert [violation["id"] for violation in violations] == ["button-name"]
    with pytest.raises(pytest.fail.Exception, match=r"button-name \(critical\)"):
        assert_no_axe_violations(page)


def test_reflow_check_reports_a_wide_element(live_server, page, demo_commune):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
            const wide = document.createElement("div");
            wide.className = "too-wide";
            wide.style.width = "600px";
            wide.style.height = "1em";
            document.querySelector("main").append(wide);
        }"""
    )
    with pytest.raises(AssertionError, match="too-wide"):
        assert_no_horizontal_scroll(page)


def test_pages_are_served_with_their_content_security_policy(
    live_server, page, demo_commune, browser_errors
):
    response = page.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
        }"""
    )
    assert page.evaluate("window.inlineRan === undefined")
    assert any("Content Security Policy" in problem for problem in browser_errors)
    browser_errors.clear()  # the violation was planted on purpose
