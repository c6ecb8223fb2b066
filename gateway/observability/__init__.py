"""Metrics (Prometheus) and structured logs (JSON) with correlation ids."""
