"""The worker, built from a :class:`Settings` instance: the Faust app, its topics, tables, agents and pages.

Nothing in ``streams.worker`` reads settings or builds an app at import time, so a test can build as many
workers as it likes, each from its own settings (``create_app(Settings(...))``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import faust
from faust.types import AgentT
from prometheus_client import REGISTRY, CollectorRegistry

from streams.adapters.kafka_security import ssl_context
from streams.config.settings import Settings
from streams.domain.ledger import Ledger
from streams.worker import collector, lanes, offsets, rewind, trim, watchdog
from streams.worker.agents import parse, positions, webhooks
from streams.worker.agents.parse import ParseFilings
from streams.worker.agents.positions import TrackPositions
from streams.worker.agents.webhooks import DeliverWebhooks
from streams.worker.batch import LEDGER_MARKERS, ChangelogBarrier, Handoff
from streams.worker.lanes import LaneController
from streams.worker.metrics import Metrics, metrics_in
from streams.worker.tables import Tables, create_tables
from streams.worker.topics import Topics, create_topics, lane_source
from streams.worker.watchdog import Progress
from streams.worker.web import ingest, ops
from streams.worker.web import positions as pages


@dataclass(frozen=True)
class Form4Worker:
    """One worker: the app and everything wired on it."""

    settings: Settings
    app: faust.App
    topics: Topics
    tables: Tables
    ledger: Ledger
    metrics: Metrics
    parse_step: ParseFilings
    positions_step: TrackPositions
    webhooks_step: DeliverWebhooks
    agents: tuple[AgentT[Any], ...]
    """parse_filings and track_positions (deliver_webhooks is a task of its own, see agents/webhooks.py)."""
    lanes: LaneController
    """Pauses the backfill lane while the live lane has lag (see worker/lanes.py)."""


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """Faust's form of the Kafka security settings: the same TLS context and SASL login as
    ``streams.adapters.kafka_security.client_kwargs`` gives every other client."""
    context = ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        # Faust picks SASL_SSL over SASL_PLAINTEXT from the presence of ssl_context.
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def faust_app(settings: Settings) -> faust.App:
    """The bare Faust app of our settings only.

    ``env={}`` keeps Faust from reading its own environment variables (``WEB_PORT``, ``BROKER``...):
    ``Settings`` is the one source of configuration.
    """
    return faust.App(
        settings.app_id,
        env={},
        broker=settings.broker_url,
        broker_credentials=broker_credentials(settings),
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
        # A batch's records share produce requests (issue 12); each batch waits for its acks once.
        producer_linger=settings.producer_linger_ms / 1000,
        broker_session_timeout=settings.session_timeout_seconds,
        # Faust's default is 2.8 s: a drained backlog showed that long as lag, and a restart read it again.
        broker_commit_interval=settings.commit_interval_seconds,
        # Filings up to FORM4_MAX_FILING_BYTES must fit in one produce request (see topics_admin).
        producer_max_request_size=settings.max_message_bytes,
        # Small hand-overs from the consumer: a live record is not queued behind a large fetch of
        # backfill records (worker/lanes.py).
        broker_max_poll_records=settings.lanes_fetch_records,
        # Issue 13: FORM4_HTTP_TOKEN_READS puts every GET for data behind the bearer token.
        web_application_options={"middlewares": [pages.read_token_middleware(settings)]},
    )


def create_app(settings: Settings, registry: CollectorRegistry = REGISTRY) -> Form4Worker:
    """Build the worker of ``settings``.

    ``registry`` receives our metrics and Faust's sensors, served at ``/metrics``; the worker uses the
    default one (where the webhook adapter's counters live too), tests a fresh one per app, since a
    registry refuses two metrics of one name.
    """
    app = faust_app(settings)
    topics = create_topics(app, settings)
    tables = create_tables(app, settings)
    ledger = Ledger(tables.ledger, settings)
    metrics = metrics_in(registry)
    if tables.disk_memory is not None:
        metrics.rocksdb_memory.set_function(tables.disk_memory.usage_bytes)
    progress = Progress()  # records handled by either agent, for the stall watchdog
    # Parsed records, parse_filings -> track_positions. One batch's worth: a record held is ~48 KB as
    # objects (40 KB for 4.4 events, synthetic submissions), and a miss only costs a validation (0.3 ms).
    handoff = Handoff(settings.batch_max_records)
    controller = lanes.register(app, settings)
    # While a live record waits, the agents set backfill records aside and fetch them again later.
    rewinds = rewind.register(app, controller.lanes.backfill, lambda: controller.live_waiting)
    step_parse = ParseFilings(
        settings=settings,
        seen=tables.seen,
        send=topics.send,
        hurry=topics.hurry,
        metrics=metrics,
        handoff=handoff,
        progress=progress,
        rewinds=rewinds,
    )
    step_track = TrackPositions(
        settings=settings,
        ledger=ledger,
        positions=tables.ledger.positions,
        send=topics.send,
        hurry=topics.hurry,
        metrics=metrics,
        handoff=handoff,
        progress=progress,
        # A batch's state in Kafka before its done markers are written.
        barrier=ChangelogBarrier(
            (getattr(tables.ledger, f.name) for f in fields(tables.ledger) if f.name not in LEDGER_MARKERS),
            topics.hurry,
        ),
        assigned=lambda: app.consumer.assignment(),
        rewinds=rewinds,
    )
    step_deliver = DeliverWebhooks(settings=settings, send=topics.send)
    # Each agent reads its live topic and its backfill topic; the lanes task pauses the backfill ones
    # while a live one has lag.
    raw = lane_source(app, settings, settings.topic_raw, settings.topic_backfill)
    parsed = lane_source(app, settings, settings.topic_parsed, settings.topic_parsed_backfill)
    agents = (parse.register(app, raw, step_parse), positions.register(app, parsed, step_track))
    offsets.register(app, frozenset(settings.source_topics))  # commits never pass a dropped record
    watchdog.register(app, settings, progress)  # exits a worker that has records to read but handles none
    trim.register(app, settings)  # freed memory back to the system, not kept at a batch's high-water mark
    collector.register(app, settings, registry)  # GC pauses measured; long-lived state frozen
    webhooks.register(app, step_deliver, metrics)  # a task: a consumer group per subscriber, not an agent
    ingest.register(app, settings, topics.send_now)  # a filing posted is sent at once, no linger
    pages.register(app, tables.ledger)
    ops.register(app, settings, tables.ledger, metrics, registry)  # /metrics, /health, /ready, the page
    return Form4Worker(
        settings=settings,
        app=app,
        topics=topics,
        tables=tables,
        ledger=ledger,
        metrics=metrics,
        parse_step=step_parse,
        positions_step=step_track,
        webhooks_step=step_deliver,
        agents=agents,
        lanes=controller,
    )


__all__ = ["Form4Worker", "broker_credentials", "create_app", "faust_app"]
