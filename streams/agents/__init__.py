"""Agents, one per module. Importing this package registers them on the app."""

from streams.agents import parse, positions

__all__ = ["parse", "positions"]
