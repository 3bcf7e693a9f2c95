"""Which alerts a consumer wants: shared by ``form4 alerts tail`` and the webhook subscribers.

An :class:`AlertFilter` works on the wire form (a ``form4.alert/1`` dict), so it needs no decoding
and applies the same way to raised alerts and to their retractions (a retraction carries the
ticker, rule, severity and figures of the alert it retracts, so a subscriber that got an alert also
gets its retraction).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from streams.config.vocabulary import SEVERITIES, Rule, Severity


def _tuple(value: object) -> object:
    # One value or a list: "ticker": "ACME" and "ticker": ["ACME", "XYZ"] both work in FORM4_WEBHOOKS.
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return value


def normalise_cik(cik: str) -> str:
    """CIKs compare zero-padded to 10 digits (``320193`` == ``0000320193``)."""
    text = cik.strip()
    return text.zfill(10) if text.isdigit() else text


def alert_value(alert: Mapping[str, Any]) -> Decimal | None:
    """The dollar value of an alert: its sale value, or the window's for a cluster."""
    figures = alert.get("figures") or {}
    values = []
    for key in ("value_usd", "window_sold_value_usd"):
        raw = figures.get(key)
        if raw is None:
            continue
        try:
            values.append(Decimal(str(raw)))
        except InvalidOperation:
            continue
    return max(values) if values else None


class AlertFilter(BaseModel):
    """Conditions an alert must all meet; an empty filter matches everything.

    Within one condition the values are alternatives: ``ticker=("AAPL", "MSFT")`` matches either.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ticker: tuple[str, ...] = Field((), description="Ticker symbols (case-insensitive).")
    issuer: tuple[str, ...] = Field((), description="Issuer CIKs, zero-padded or not.")
    rule: tuple[Rule, ...] = Field((), description="Alert rules.")
    min_severity: Severity | None = Field(None, description="Lowest severity let through.")
    min_value: Decimal | None = Field(None, ge=0, description="Lowest alert value in USD.")

    _listify = field_validator("ticker", "issuer", "rule", mode="before")(_tuple)

    @field_validator("ticker")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().upper() for v in value)

    @field_validator("issuer")
    @classmethod
    def _pad(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_cik(v) for v in value)

    def matches(self, alert: Mapping[str, Any]) -> bool:
        """Whether ``alert`` (a ``form4.alert/1`` dict) passes every condition."""
        if self.ticker and (alert.get("ticker") or "").upper() not in self.ticker:
            return False
        if self.issuer and normalise_cik(str(alert.get("issuer_cik") or "")) not in self.issuer:
            return False
        if self.rule and alert.get("rule") not in self.rule:
            return False
        if self.min_severity is not None:
            severity = alert.get("severity")
            if severity not in SEVERITIES or SEVERITIES.index(severity) < SEVERITIES.index(self.min_severity):
                return False
        if self.min_value is not None:
            value = alert_value(alert)
            if value is None or value < self.min_value:
                return False
        return True

    def describe(self) -> str:
        """One line for logs and the tail banner, e.g. ``ticker=AAPL min_severity=high``."""
        parts = [
            f"{name}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
            for name, v in self.model_dump().items()
            if v not in ((), None)
        ]
        return " ".join(parts) or "all alerts"


class WebhookSubscriber(AlertFilter):
    """One entry of ``FORM4_WEBHOOKS``: where to POST the alerts that pass the filter, and the secret."""

    url: str = Field(description="http(s) URL receiving the JSON POSTs.")
    secret: SecretStr = Field(description="HMAC-SHA256 key of the Form4-Signature header.")
    name: str | None = Field(None, description="Label in logs and metrics (default: the URL's host).")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"webhook url {value!r} is not http(s)")
        return value

    @property
    def label(self) -> str:
        return self.name or urlsplit(self.url).netloc


__all__ = ["AlertFilter", "WebhookSubscriber", "alert_value", "normalise_cik"]
