"""The HTML report: price history against the competitor band, pain points, hot-term trends, compliance findings
and the alert log of a period, from the store only, as one self-contained file (inline SVG, no scripts).

    from reports import write_report, latest_report
    path = write_report(store, config, days=7)
"""

from reports.build import (
    Report,
    build_report,
    gather_report,
    latest_report,
    render_report,
    save_report,
    write_report,
)

__all__ = ["Report", "build_report", "gather_report", "latest_report", "render_report", "save_report",
           "write_report"]
