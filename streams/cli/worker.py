"""``form4 worker``: run the Faust worker (creates the form4 topics first when missing)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import click

from streams.cli.exit_codes import UNREACHABLE, USAGE
from streams.cli.options import bootstrap_server_option, cli_settings
from streams.config.settings import Settings


def _say(settings: Settings, message: str, level: int) -> None:
    """A line before Faust's logging is up: JSON like every other line when FORM4_LOG_FORMAT=json."""
    if settings.log_format == "json":
        from streams.worker.logs import JsonFormatter

        record = logging.makeLogRecord(
            {
                "msg": message,
                "levelno": level,
                "levelname": logging.getLevelName(level),
                "name": "streams.cli.worker",
            }
        )
        message = JsonFormatter().format(record)
    click.echo(message, err=True)


@click.command()
@click.option("-l", "--loglevel", default=None, help="Log level (default: FORM4_LOG_LEVEL).")
@bootstrap_server_option
def worker(loglevel: str | None) -> None:
    """Run the stream processor until SIGTERM/SIGINT."""
    settings = cli_settings()  # --bootstrap-server applied: the app below is built from these
    # Faust writes its table files under <data_dir>/worker but never creates the folder itself.
    try:
        (settings.data_dir / "worker").mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a configuration problem: one line, not a traceback
        _say(
            settings, f"form4 worker: cannot create data directory {settings.data_dir}: {exc}", logging.ERROR
        )
        sys.exit(USAGE)
    from streams.adapters.kafka_security import KafkaAccessError
    from streams.adapters.topics_admin import TopicRefused, ensure_topics
    from streams.worker.tables import changelog_topics

    async def prepare() -> list[str]:
        created = await ensure_topics(settings)
        # Changelogs are created here, before any table write: otherwise the first write can make
        # the broker auto-create one with the wrong partition count (Faust's PartitionsMismatch).
        return created + await ensure_topics(settings, changelog_topics(settings.app_id), compact=True)

    try:
        created = asyncio.run(prepare())
    except KafkaAccessError as exc:  # refused (credentials, TLS): one line, exit 3
        _say(settings, f"form4 worker: {exc}", logging.ERROR)
        sys.exit(exc.exit_code)
    except TopicRefused as exc:  # the broker answered no (replication factor, policy): configuration
        _say(settings, f"form4 worker: {exc}", logging.ERROR)
        sys.exit(USAGE)
    except Exception as exc:  # noqa: BLE001 - any failure to reach Kafka is reported, not traced
        _say(
            settings, f"form4 worker: cannot reach Kafka at {settings.kafka_bootstrap}: {exc}", logging.ERROR
        )
        sys.exit(UNREACHABLE)
    if created:
        _say(settings, f"created topics: {', '.join(created)}", logging.INFO)

    from faust import Worker

    from streams.worker.app import create_app
    from streams.worker.logs import install_repeat_filter, logging_config
    from streams.worker.watchdog import StopDeadline

    deadline = StopDeadline(settings.stop_timeout_seconds)

    class Form4FaustWorker(Worker):
        def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
            super().on_setup_root_logger(logger, level)
            # While the broker is down the Kafka client logs each reconnect: one line per interval.
            install_repeat_filter(logger, settings.log_repeat_seconds)

        def _schedule_shutdown(self, signal: signal.Signals) -> None:
            deadline.arm()  # mode's one place where SIGTERM and SIGINT start a stop
            super()._schedule_shutdown(signal)

    built = create_app(settings)
    Form4FaustWorker(
        built.app,
        loglevel=(loglevel or settings.log_level).upper(),
        logging_config=logging_config(settings),
    ).execute_from_commandline()
