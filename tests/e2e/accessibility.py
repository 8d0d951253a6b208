"""Accessibility checks for browser tests: axe-core (WCAG 2.1 A and AA), the skip link,
and reflow at 320 CSS pixels. Call them on any page a test has opened."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPOSITORY / "node_modules" / "axe-core" / "axe.min.js"
# axe is served as if it came from the site itself, so the pages keep their
# Content-Security-Policy (`script-src 'self'`) while it is injected.
AXE_URL_PATH = "/__axe-core__/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _origin(page):
    url = urlsplit(page.url)
    return f"{url.scheme}://{url.netloc}"


def inject_axe(page):
    if page.evaluate("typeof window.axe !== 'undefined'"):
        return
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm ci` (make test does).")
    url = _origin(page) + AXE_URL_PATH
    page.route(
        url,
        lambda route: route.fulfill(
            path=AXE_SCRIPT, content_type="text/javascript; charset=utf-8"
        ),
    )
    page.add_script_tag(url=url)


def axe_violations(page, *, exclude=(), disabled_rules=()):
    """axe-core's WCAG 2.1 A/AA violations on the current page, as axe reports them.

    `exclude` lists CSS selectors to leave out (third-party widgets); `disabled_rules`
    lists rule ids to switch off. Both need a comment saying why where they are used.
    """
    inject_axe(page)
    return page.evaluate(
        """async ([tags, exclude, disabledRules]) => {
            const context = exclude.length
                ? {include: [document], exclude: exclude.map((s) => [s])}
                : document;
            const rules = Object.fromEntries(
                disabledRules.map((id) => [id, {enabled: false}])
            );
            const results = await axe.run(context, {
                runOnly: {type: "tag", values: tags},
                rules,
                resultTypes: ["violations"],
            });
            return results.violations;
        }""",
        [WCAG_TAGS, list(exclude), list(disabled_rules)],
    )


def format_violations(violations):
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" — {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def assert_no_axe_violations(page, *, exclude=(), disabled_rules=()):
    """Fail, listing each violation (id, impact, help, targets), if axe-core finds any
    WCAG 2.1 A/AA problem on the current page."""
    violations = axe_violations(page, exclude=exclude, disabled_rules=disabled_rules)
    if violations:
        pytest.fail(
            f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s) on {page.url}\n"
            + format_violations(violations),
            pytrace=False,
        )


def assert_aria_references_resolve(page):
    """Every aria-describedby / aria-labelledby / aria-controls names elements that exist
    and, for descriptions and labels, say something: axe does not check that a
    description is not empty (a `<ul>` of help inside a `<p>` once left it so)."""
    broken = page.evaluate(
        """() => {
            const problems = [];
            for (const attribute of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
                for (const element of document.querySelectorAll(`[${attribute}]`)) {
                    for (const id of element.getAttribute(attribute).split(/\\s+/)) {
                        const target = id && document.getElementById(id);
                        const name = element.id || element.getAttribute("name") || element.tagName;
                        if (!target) {
                            problems.push(`${name}: ${attribute} names missing #${id}`);
                        } else if (attribute !== "aria-controls" && !target.textContent.trim()) {
                            problems.push(`${name}: ${attribute} names empty #${id}`);
                        }
                    }
                }
            }
            return problems;
        }"""
    )
    assert not broken, "broken ARIA references:\n" + "\n".join(broken)


def assert_skip_link_moves_focus_to_main(page):
    """From the top of the page, Tab reaches the skip link first, the link is visible
    once focused, and following it puts the keyboard focus on the main content."""
    page.evaluate("window.scrollTo(0, 0); document.activeElement?.blur()")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const element = document.activeElement;
            const box = element.getBoundingClientRect();
            return {
                tag: element.tagName,
                text: element.textContent.trim(),
                href: element.getAttribute("href"),
                inViewport: box.width > 0 && box.height > 0 && box.top >= 0
                    && box.left >= 0 && box.bottom <= window.innerHeight
                    && box.right <= window.innerWidth,
                outline: getComputedStyle(element).outlineStyle,
            };
        }"""
    )
    assert focused["tag"] == "A" and focused["text"] == "Aller au contenu", (
        f"Tab from the top focused {focused}, not the skip link"
    )
    assert focused["inViewport"], "the focused skip link is not visible"
    assert focused["outline"] != "none", "the focused skip link shows no focus outline"
    target = focused["href"]
    page.keyboard.press("Enter")
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.id === id",
        arg=target.lstrip("#"),
    )
    assert page.evaluate("document.activeElement.tagName") == "MAIN"


def assert_no_horizontal_scroll(page):
    """Nothing sticks out sideways: the page reflows within the viewport's width."""
    widths = page.evaluate(
        """() => ({
            document: document.documentElement.scrollWidth,
            viewport: document.documentElement.clientWidth,
            widest: [...document.body.querySelectorAll("*")]
                .map((e) => [e.getBoundingClientRect().right, e])
                .filter(([right]) => right > document.documentElement.clientWidth + 1)
                .slice(0, 5)
                .map(([right, e]) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}`
                    + `${e.className && typeof e.className === "string"
                        ? "." + e.className.trim().split(/\\s+/).join(".") : ""}`
                    + ` (right edge ${Math.round(right)} px)`),
        })"""
    )
    assert widths["document"] <= widths["viewport"], (
        f"horizontal scroll: the page is {widths['document']} px wide in a "
        f"{widths['viewport']} px viewport; overflowing: {widths['widest']}"
    )
