"""Alert delivery: the outbox over the store's deliveries, e-mail over SMTP, chat webhooks, and the demo's local
SMTP capture. Delivery never decides what is alarming; it delivers what the monitors stored, deciding only who
hears it, when and in which message (routing, grouping, inhibition: Alertmanager's part).

    from delivery import deliver_pending

    report = deliver_pending(store, config)   # route new alerts, send what is due, record what failed
"""

from delivery.capture import RunningCapture, capture_server
from delivery.outbox import DeliveryReport, deliver_pending, retry_delay

__all__ = ["DeliveryReport", "RunningCapture", "capture_server", "deliver_pending", "retry_delay"]
