"""Kafka outside Faust, and HTTP: producer, consumers, lag, topic admin, webhooks, EDGAR."""

import logging

# stamina logs each scheduled retry as a warning on the "stamina" logger. Where the application set
# up logging (the worker) those lines go where it says; where nothing did (the CLI commands), this
# keeps Python's last-resort handler from printing a bare "stamina.retry_scheduled" for every
# expected "not yet" (a broker starting up). Our adapters log the failures that matter themselves.
logging.getLogger("stamina").addHandler(logging.NullHandler())
