"""What an agent does with an infrastructure error: stop the process, unacknowledged.

Faust acknowledges a message whose handler raised and restarts the agent, so a failure would silently
skip that message. Exiting at once instead leaves its offset uncommitted: the worker's supervisor
(systemd, Docker's restart policy, Kubernetes) restarts it and the message is processed again.
``streams.worker.poison`` calls this for broker, acknowledgement, disk and memory errors, and when a
dead letter cannot be written; a record that fails by itself every time is dead-lettered there
instead (``processing_error``), so one bad record cannot crash-loop the worker.
"""

from __future__ import annotations

import logging
import os
import sys

import faust

log = logging.getLogger(__name__)
EXIT_BUG = 70  # EX_SOFTWARE


def die_unacked(message: faust.types.Message, exc: BaseException) -> None:
    """Log the failing message's place and exit without acknowledging it."""
    log.critical(
        "unexpected %s on %s[%s]@%s: exiting so the message is redelivered after restart",
        type(exc).__name__,
        message.topic,
        message.partition,
        message.offset,
        exc_info=exc,
        extra={"topic": message.topic, "partition": message.partition, "offset": message.offset},
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(EXIT_BUG)
