"""The family service's panel on the Wagtail admin home page."""

from __future__ import annotations

from wagtail.admin.ui.components import Component

from . import dashboard


class FamilyServicePanel(Component):
    name = "family_service"
    template_name = "backoffice/dashboard_panel.html"
    order = 50

    def get_context_data(self, parent_context=None):
        figures = dashboard.figures()
        figures["charts"] = [
            {"chart": chart, "svg": chart.svg(index)}
            for index, chart in enumerate(figures["charts"])
        ]
        return figures
