"""Chat webhooks (DingTalk, WeCom, Feishu/Lark, Slack, or any JSON endpoint) through apprise URLs.

The URL embeds the group's token, so it comes from the environment variable the config names
(`Webhook.url()`), is read only when sending, and never appears in an error or a log line of ours: apprise's
own warnings are captured and any trace of the URL is cut out before they become the delivery's last error.
Webhooks get plain text: chat services render HTML differently or not at all.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import apprise

from config import ConfigError, Webhook
from delivery.render import Rendered


class WebhookFailure(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def post_webhook(name: str, webhook: Webhook, rendered: Rendered) -> None:
    """Post one message; raise WebhookFailure (with a token-free reason) unless the service accepted it."""
    try:
        url = webhook.url()
    except ConfigError as error:
        raise WebhookFailure(f"webhook {name}: {error}") from None
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise WebhookFailure(f"webhook {name}: ${webhook.url_env} does not hold a URL apprise supports "
                             "(see https://github.com/caronc/apprise/wiki)")
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        accepted = notifier.notify(title=rendered.subject, body=rendered.text, body_format=apprise.NotifyFormat.TEXT)
    if not accepted:
        reason = _without_secrets(log.getvalue(), url) or "the service did not accept the notification"
        raise WebhookFailure(f"webhook {name}: {reason}")


def _without_secrets(text: str, url: str) -> str:
    parts = urlsplit(url)
    secrets = [url, parts.path, parts.query, parts.netloc, parts.password or "", parts.username or ""]
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "…")
    return " ".join(text.split())
