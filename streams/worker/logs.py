"""Log format of the worker: human-readable text (default) or JSON lines (``FORM4_LOG_FORMAT=json``)."""

from __future__ import annotations

import logging
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
