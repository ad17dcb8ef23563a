"""How an amount of money reads wherever a person sees one: CLI tables, alert titles and e-mails, the HTML report.

One rule: "¥1,299.00" (no space after the sign), "-¥5.00" below zero, "–" for an amount nobody knows.
"""

from __future__ import annotations


def money(value: float | None) -> str:
    if value is None:
        return "–"
    return f"-¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"
