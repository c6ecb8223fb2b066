"""Webhook subscriptions (issue 14.1): the admin use cases and the drainer that delivers."""
