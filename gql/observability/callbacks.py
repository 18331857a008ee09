"""Payment providers' callbacks seen from Prometheus (docs/monitoring.md): a burst of
``refused`` from one provider is a key changed on one side, or someone knocking."""

from prometheus_client import Counter

from models.payments import PaymentProvider

CALLBACKS = Counter(
    "famille_payment_callbacks_total",
    "Providers' payment callbacks by provider and outcome: accepted (stored, verified, "
    "reconciliation queued) or refused (stored with the reason, answered 400)",
    ["provider", "outcome"],
)


def record(provider: PaymentProvider, status_code: int) -> None:
    CALLBACKS.labels(provider.value, "accepted" if status_code < 400 else "refused").inc()
