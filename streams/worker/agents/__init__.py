"""Agents, one per module. Each module's ``register`` puts its agent (or timer) on an app; importing
this package registers nothing (:func:`streams.worker.app.create_app` does)."""
