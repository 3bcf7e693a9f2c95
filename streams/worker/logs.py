"""Log format of the worker: human-readable text (default) or JSON lines (``FORM4_LOG_FORMAT=json``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from streams.config.settings import Settings

#: Attributes every LogRecord has; anything else on a record came from ``extra={...}``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Structured context (topic, partition, offset, filing_id...) passed with ``extra=``.
        body.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(body, default=str).decode()


def logging_config(settings: Settings) -> dict[str, object] | None:
    """A ``logging.config.dictConfig`` for JSON lines, or ``None`` to keep Faust's text format."""
    if settings.log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "streams.worker.logs.JsonFormatter"}},
        "handlers": {
            "out": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["out"], "level": settings.log_level.upper()},
    }


# --- issue 13: Kafka client log floods -----------------------------------------------------------

#: Loggers whose repeats are held back: the Kafka client and Faust's consumer/producer services. While
#: the broker is down they log every reconnect attempt (thousands of lines a minute); our own
#: ``streams.*`` lines are one per message or event and are never held back.
REPEATING_LOGGERS: tuple[str, ...] = ("aiokafka", "kafka", "faust", "mode")
_MAX_KEYS = 1024  # distinct (logger, level, template) kept; templates are finite, this is a safety cap


class RepeatFilter(logging.Filter):
    """Let one record per (logger, level, message template) through per ``interval`` seconds.

    The first line of a burst goes through at once; the repeats within the interval are counted, and
    the next line let through says how many were held back, so nothing is hidden without a trace.
    ``interval`` 0 lets everything through.
    """

    def __init__(
        self,
        interval: float,
        prefixes: tuple[str, ...] = REPEATING_LOGGERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.interval = interval
        self.prefixes = prefixes
        self.clock = clock
        self._seen: dict[tuple[str, int, str], list[float | int]] = {}
        """key -> [time the last line went through, repeats held back since]."""

    def _limited(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self.prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.interval <= 0 or not self._limited(record.name):
            return True
        # One filter serves every handler of the root: a record gets one verdict, whichever asks first.
        verdict: bool | None = getattr(record, "_form4_repeat_verdict", None)
        if verdict is None:
            verdict = self._decide(record)
            record._form4_repeat_verdict = verdict
        return verdict

    def _decide(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self.interval:
            entry[1] += 1
            return False
        held = int(entry[1]) if entry is not None else 0
        if len(self._seen) >= _MAX_KEYS and key not in self._seen:
            self._seen.clear()
        self._seen[key] = [now, 0]
        if held:
            # Formatted once here, so the note cannot clash with the record's own %-placeholders.
            record.msg = f"{record.getMessage()} [{held} more like this held back in {self.interval:g}s]"
            record.args = None
        return True


def install_repeat_filter(logger: logging.Logger, interval: float) -> RepeatFilter:
    """Put one :class:`RepeatFilter` on every handler of ``logger`` (the root logger, once it is set up).

    On the handlers, not on the loggers: a logger's filter sees only records logged on that very
    logger, while every ``aiokafka.*`` record reaches the root's handlers.
    """
    flt = RepeatFilter(interval)
    for handler in logger.handlers:
        handler.addFilter(flt)
    return flt
