"""Running famille for real (docs/monitoring.md): Prometheus metrics of the API
(operations, payment callbacks, the /metrics endpoint and its multiprocess aggregation)
and OpenTelemetry traces. The worker's and the domain's own metrics live next to what they
measure (jobs/metrics.py, resolvers/core/metrics.py, models/pool_metrics.py)."""
