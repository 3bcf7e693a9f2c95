"""Kafka broker fixture (placeholder until the broker module lands)."""
