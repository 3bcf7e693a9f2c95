"""The Faust application. Nothing else lives here: topics, tables and agents import ``app``."""

from __future__ import annotations

import faust

from streams.config.settings import Settings, get_settings


def create_app(settings: Settings) -> faust.App:
    """Build the app from our settings only.

    ``env={}`` keeps Faust from reading its own environment variables (``WEB_PORT``, ``BROKER``...):
    ``Settings`` is the one source of configuration.
    """
    return faust.App(
        settings.app_id,
        env={},
        broker=settings.broker_url,
        store=settings.store,  # memory: rebuilt from the changelog topics at start
        autodiscover=False,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        datadir=str(settings.data_dir / "worker"),
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_enabled=True,
        # Table contents are served by our own /positions page, not Faust's debug routes.
        web_tables_enabled=False,
        producer_acks=-1,
        broker_session_timeout=settings.session_timeout_seconds,
        # Filings up to FORM4_MAX_FILING_BYTES must fit in one produce request (see topics_admin).
        producer_max_request_size=settings.max_message_bytes,
    )


app = create_app(get_settings())
