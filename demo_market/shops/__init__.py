"""The three demo shops, each an aiohttp application with its own markup, URLs and quirks."""

from demo_market.shops import kuaigou, laodian, shangcheng

SHOPS = {"shangcheng": shangcheng, "laodian": laodian, "kuaigou": kuaigou}
"""Platform key -> module with build(ShopContext) and product_path(item_id)."""
