"""What the console calls the store's codes (severities, states, categories, roles, actions), translated when a
page is rendered."""

from __future__ import annotations

from i18n import N_, Message

SEVERITY = {"critical": N_("critical"), "warning": N_("warning"), "info": N_("info")}
STATE = {"new": N_("new"), "sent": N_("sent"), "acknowledged": N_("acknowledged"), "resolved": N_("resolved")}
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
TABLES = {"severity": SEVERITY, "state": STATE, "category": CATEGORY, "action": ACTION, "role": ROLE,
          "delivery_state": DELIVERY_STATE, "delivery_kind": DELIVERY_KIND, "zone": ZONE, "job": JOB,
          "crawl": CRAWL, "run_status": RUN_STATUS}


def label(code: str | None, table: str) -> str:
    """The name of `code` in the current language; an unknown code (a category added later) as it is."""
    if code is None:
        return "–"
    name: Message | None = TABLES[table].get(code)
    return str(name) if name is not None else code
