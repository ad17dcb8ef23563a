"""How an amount of money and a moment read wherever a person sees one: CLI tables, alert titles and e-mails, the
HTML report. Both read the same in every language ShopSentinel speaks, so a value formatted once (when an alert
is raised) can be a parameter of a message translated later (i18n).

Money: "¥1,299.00" (no space after the sign), "-¥5.00" below zero, "–" for an amount nobody knows.
Moments: in the operator's zone as "12-07 22:27", with the year in front ("2025-12-07 22:27") unless it is
`this_year`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo


def money(value: float | None) -> str:
    if value is None:
        return "–"
    return f"-¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"


def moment(value: datetime, zone: tzinfo, this_year: int | None = None) -> str:
    local = value.astimezone(zone)
    return f"{local:%m-%d %H:%M}" if local.year == this_year else f"{local:%Y-%m-%d %H:%M}"
