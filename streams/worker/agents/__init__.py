"""Agents, one per module. Importing this package registers them on the app."""

from streams.worker.agents import lag_monitor, parse, positions, webhooks

__all__ = ["lag_monitor", "parse", "positions", "webhooks"]
