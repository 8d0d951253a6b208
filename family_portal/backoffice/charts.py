"""A horizontal bar chart as inline SVG, rendered on the server: no JavaScript, labels
escaped, a <title> and <desc> for screen readers (the page also shows the data table)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_SPACE = 320
VALUE_WIDTH = 50
CHARACTER_WIDTH = 7.2  # an average character at font-size 13
ROW_HEIGHT = 26
BAR_HEIGHT = 18
BAR_COLOUR = "#2b6cb0"


def bar_chart_svg(
    chart_id: str, title: str, rows: list[tuple[str, int]], description: str = ""
) -> SafeString:
    """One bar per (label, value); bars scale to the largest value."""
    height = max(len(rows), 1) * ROW_HEIGHT + 8
    largest = max((value for _label, value in rows), default=0) or 1
    longest = max((len(str(label)) for label, _value in rows), default=0)
    label_width = min(max(round(longest * CHARACTER_WIDTH) + 16, 80), 420)
    width = label_width + BAR_SPACE + VALUE_WIDTH
    bar_space = BAR_SPACE
    bars = format_html_join(
        "",
        '<g transform="translate(0,{})">'
        '<text x="{}" y="{}" text-anchor="end" fill="currentColor" font-size="13">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
        '<text x="{}" y="{}" fill="currentColor" font-size="13">{}</text>'
        "</g>",
        (
            (
                4 + index * ROW_HEIGHT,
                label_width - 8,
                BAR_HEIGHT - 4,
                label,
                label_width,
                0,
                round(bar_space * value / largest, 1),
                BAR_HEIGHT,
                BAR_COLOUR,
                label_width + round(bar_space * value / largest, 1) + 6,
                BAR_HEIGHT - 4,
                value,
            )
            for index, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{}" height="{}" '
        'viewBox="0 0 {} {}" aria-labelledby="{}-title {}-desc" class="fp-chart">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        width,
        height,
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description or title,
        bars,
    )
