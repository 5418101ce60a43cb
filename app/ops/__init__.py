"""Running zerodraft in production: health and readiness probes, Prometheus metrics, JSON logs."""
