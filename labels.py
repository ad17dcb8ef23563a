"""What people are shown for the store's codes (severities, alert states and kinds, categories, roles, job names ...):
one table per family of codes, shared by the command line, the e-mails and the console, translated when shown.
JSON output and the store keep the codes themselves."""

from __future__ import annotations

from i18n import N_, Message

SEVERITY = {"critical": N_("critical"), "warning": N_("warning"), "info": N_("info")}
STATE = {"new": N_("new"), "sent": N_("sent"), "acknowledged": N_("acknowledged"), "resolved": N_("resolved")}
KIND = {
    "price_below_cost": N_("Price below cost"),
    "price_out_of_band": N_("Price outside its band"),
    "competitor_undercut": N_("Competitor undercut"),
    "competitor_price_move": N_("Competitor price change"),
    "band_shift": N_("Competitors' price band moved"),
    "negative_review": N_("New negative review"),
    "negative_surge": N_("Negative review surge"),
    "opportunity": N_("Differentiation opportunity"),
    "own_out_of_stock": N_("Own product out of stock"),
    "own_low_stock": N_("Own stock low"),
    "competitor_out_of_stock": N_("Competitor out of stock"),
    "compliance_violation": N_("Advertising-Law wording"),
    "platform_unreachable": N_("Platform unreachable"),
    "page_blocked": N_("Pages blocked"),
    "page_layout_changed": N_("Page layout changed"),
}
CATEGORY = {"price": N_("price"), "review": N_("reviews"), "compliance": N_("compliance"), "stock": N_("stock"),
            "system": N_("system")}
ACTION = {"acknowledged": N_("acknowledged"), "resolved": N_("resolved"), "note": N_("note")}
ROLE = {"viewer": N_("viewer"), "operator": N_("operator"), "admin": N_("admin")}
DELIVERY_STATE = {"pending": N_("pending"), "sent": N_("sent"), "suppressed": N_("suppressed")}
DELIVERY_KIND = {"immediate": N_("immediate"), "digest": N_("digest")}
ZONE = {"below": N_("below the band"), "low": N_("low end"), "middle": N_("middle"), "high": N_("high end"),
        "above": N_("above the band")}
JOB = {"hot_terms": N_("hot terms"), "prices": N_("prices"), "reviews": N_("reviews"),
       "own_reviews": N_("our reviews"), "retrain": N_("model retraining"), "digest": N_("daily digest")}
CRAWL = {"hot_terms": N_("hot terms"), "search": N_("keyword search"), "products": N_("product pages"),
         "reviews": N_("reviews")}
RUN_STATUS = {"running": N_("running"), "ok": N_("ok"), "failed": N_("failed"), "interrupted": N_("interrupted")}
TABLES = {"severity": SEVERITY, "state": STATE, "kind": KIND, "category": CATEGORY, "action": ACTION, "role": ROLE,
          "delivery_state": DELIVERY_STATE, "delivery_kind": DELIVERY_KIND, "zone": ZONE, "job": JOB,
          "crawl": CRAWL, "run_status": RUN_STATUS}


def label(code: str | None, table: str) -> str:
    """The name of `code` in the current language; an unknown code (a category added later) as it is."""
    if code is None:
        return "–"
    name: Message | None = TABLES[table].get(code)
    return str(name) if name is not None else code
