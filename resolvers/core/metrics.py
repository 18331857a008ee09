"""Prometheus metrics recorded by the domain operations themselves (docs/monitoring.md).

Each metric's labels take a handful of values known in advance (never an id, an e-mail or
a town): a metric per town and per family would grow without bound in Prometheus.
"""

from prometheus_client import Counter

LOGINS_THROTTLED = Counter(
    "famille_logins_throttled_total",
    "Logins held back by the throttle: `locked` (the e-mail failed too often: refused), "
    "`delayed` (the client address failed too often: made to wait)",
    ["kind"],
)
