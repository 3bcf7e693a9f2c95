"""Flat, typed rows of the public records, and the files ``form4 export`` writes them to.

A ``form4.transaction/1`` event, a ``form4.alert/1`` or a position (``GET /positions/all``) becomes
one flat row with one type per column (:data:`COLUMNS`), so that a CSV has a fixed header and a
Parquet file has real types an analyst can compute with:

* decimals (shares, prices, dollar values) -> Parquet ``decimal128(38, 12)``: exact, never a float;
  a value with more than 12 decimal places is refused rather than rounded (none has been seen);
* dates -> ``date32``; timestamps -> ``timestamp[us, UTC]``; flags -> ``bool``;
* lists (joint filers, accession numbers) -> ``list<string>`` (CSV: joined with ``"; "``);
* footnotes (a mapping) -> a JSON string.

JSONL keeps each record exactly as on the topic (or as the worker served it), nothing flattened.
Only the fields listed here are columns; fields added to a contract later show up in JSONL at once
and in CSV/Parquet when added here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final, Literal

import orjson

Kind = Literal["str", "int", "bool", "decimal", "date", "timestamp", "list", "json"]
Dataset = Literal["transactions", "alerts", "positions"]
Format = Literal["csv", "parquet", "jsonl"]
Row = dict[str, Any]

#: Digits after the decimal point of every Parquet decimal column (precision 38: 26 before it).
DECIMAL_SCALE: Final = 12
_QUANTUM: Final = Decimal(1).scaleb(-DECIMAL_SCALE)
_WINDOWS: Final = ("30", "90", "365")
_WINDOW_FIGURES: Final = (
    "acquired_shares",
    "disposed_shares",
    "net_shares",
    "bought_value_usd",
    "sold_value_usd",
    "net_underlying_shares",
)


class ExportError(ValueError):
    """A record cannot be written as the columns promise (said in one line, naming the record)."""


def _spec(text: str) -> tuple[tuple[str, Kind], ...]:
    """``"name:kind name:kind"`` -> ((name, kind), ...): the column lists below read as tables."""
    out: list[tuple[str, Kind]] = []
    for item in text.split():
        name, _, kind = item.partition(":")
        out.append((name, kind))  # type: ignore[arg-type]  # checked by the unit tests
    return tuple(out)


COLUMNS: Final[Mapping[Dataset, tuple[tuple[str, Kind], ...]]] = {
    "transactions": _spec(
        """
        event_id:str accession_number:str filing_id:str form_type:str source_format:str
        filed_at:timestamp period_of_report:date date_of_original_submission:date aff10b5_one:bool
        issuer_cik:str issuer_name:str ticker:str
        owner_ciks:list owner_names:list officer_titles:list
        is_director:bool is_officer:bool is_ten_percent_owner:bool is_other:bool
        table:str row:int is_holding:bool security_title:str
        transaction_date:date deemed_execution_date:date transaction_code:str transaction_form_type:str
        equity_swap:bool timeliness:str
        shares:decimal total_value:decimal price_per_share:decimal acquired_disposed:str
        shares_owned_following:decimal value_owned_following:decimal
        direct_indirect:str nature_of_ownership:str
        conversion_or_exercise_price:decimal exercise_date:date expiration_date:date
        underlying_security_title:str underlying_shares:decimal underlying_value:decimal
        plan_10b5_1:bool plan_adoption_date:date derived_fields:list footnotes:json schema:str
        """
    ),
    "alerts": _spec(
        """
        alert_id:str kind:str retracts:str rule:str severity:str
        issuer_cik:str issuer_name:str ticker:str owner_ciks:list owner_names:list owner_roles:list
        accession_numbers:list event_ids:list plan_10b5_1:bool
        shares:decimal value_usd:decimal pct_of_holding_sold:decimal holding_before:decimal
        holding_after:decimal window_days:int window_start:date window_end:date
        window_sold_shares:decimal window_sold_value_usd:decimal cluster_members:list
        summary:str created_at:timestamp schema:str
        """
    ),
    "positions": _spec(
        """
        key:str issuer_cik:str issuer_name:str ticker:str
        holder_kind:str holder_key:str holder_ciks:list holder_names:list
        security_title:str security:str table:str direct_indirect:str nature_of_ownership:str vehicle:str
        shares:decimal value_owned:decimal underlying_shares:decimal as_of:date last_transaction_date:date
        flows_as_of:date
        """
        + " ".join(f"{f}_{w}d:decimal" for w in _WINDOWS for f in _WINDOW_FIGURES)
        + " last_event_id:str break_count:int breaks:json gap_count:int gaps:json row_count:int schema:str"
    ),
}


# --- wire values -> typed values -----------------------------------------------------------------


def _decimal(value: Any, column: str, strict: bool) -> Decimal | None:
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    exponent = number.as_tuple().exponent  # a str for NaN and infinities
    if strict and isinstance(exponent, int) and exponent < -DECIMAL_SCALE:
        if number != number.quantize(_QUANTUM):
            raise ExportError(f"{column}={value} has more than {DECIMAL_SCALE} decimal places")
        number = number.quantize(_QUANTUM)  # only trailing zeros went: the same value
    return number


def _date(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value)[:10])


def _timestamp(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = datetime.fromisoformat(str(value))
    # A naive time on the wire is UTC by the contracts' convention; stored as UTC either way.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _typed(kind: Kind, value: Any, column: str, strict: bool) -> Any:
    if value is None:
        return None
    if kind == "decimal":
        return _decimal(value, column, strict)
    if kind == "date":
        return _date(value)
    if kind == "timestamp":
        return _timestamp(value)
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "list":
        return [str(v) for v in value]
    if kind == "json":
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


def _any(flags: Sequence[Mapping[str, Any]], name: str) -> bool | None:
    return any(bool(o.get(name)) for o in flags) if flags else None


def _transaction_fields(event: Mapping[str, Any]) -> Row:
    issuer = event.get("issuer") or {}
    owners: list[Mapping[str, Any]] = list(event.get("owners") or [])
    return dict(event) | {
        "issuer_cik": issuer.get("cik"),
        "issuer_name": issuer.get("name"),
        "ticker": issuer.get("ticker"),
        "owner_ciks": [o.get("cik") or "" for o in owners],
        "owner_names": [o.get("name") or "" for o in owners],
        "officer_titles": [o["officer_title"] for o in owners if o.get("officer_title")],
        "is_director": _any(owners, "is_director"),
        "is_officer": _any(owners, "is_officer"),
        "is_ten_percent_owner": _any(owners, "is_ten_percent_owner"),
        "is_other": _any(owners, "is_other"),
    }


def _alert_fields(alert: Mapping[str, Any]) -> Row:
    owners: list[Mapping[str, Any]] = list(alert.get("owners") or [])
    return (
        dict(alert)
        | dict(alert.get("figures") or {})
        | {
            "owner_ciks": [o.get("cik") or "" for o in owners],
            "owner_names": [o.get("name") or "" for o in owners],
            "owner_roles": [o.get("role") or "" for o in owners],
        }
    )


def _position_fields(position: Mapping[str, Any]) -> Row:
    """A ``form4.position/1`` record (issuer and holder nested, ``flows`` a list of windows)."""
    issuer: Mapping[str, Any] = position.get("issuer") or {}
    holder: Mapping[str, Any] = position.get("holder") or {}
    owners: list[Mapping[str, Any]] = list(holder.get("owners") or [])
    flows = {str(f.get("days")): f for f in position.get("flows") or []}
    out = dict(position) | {
        "issuer_cik": issuer.get("cik"),
        "issuer_name": issuer.get("name"),
        "ticker": issuer.get("ticker"),
        "holder_kind": holder.get("kind"),
        "holder_key": holder.get("key"),
        "holder_ciks": [o.get("cik") or "" for o in owners],
        "holder_names": [o.get("name") or "" for o in owners],
        "break_count": len(position.get("breaks") or []),
        "gap_count": len(position.get("gaps") or []),
    }
    for w in _WINDOWS:
        for figure in _WINDOW_FIGURES:
            out[f"{figure}_{w}d"] = (flows.get(w) or {}).get(figure)
    return out


_FIELDS: Final[Mapping[Dataset, Callable[[Mapping[str, Any]], Row]]] = {
    "transactions": _transaction_fields,
    "alerts": _alert_fields,
    "positions": _position_fields,
}
_IDENTITY: Final[Mapping[Dataset, str]] = {
    "transactions": "event_id",
    "alerts": "alert_id",
    "positions": "key",
}


def flatten(dataset: Dataset, record: Mapping[str, Any], *, parquet_scale: bool = True) -> Row:
    """One wire record (a decoded JSON object) as a flat row of :data:`COLUMNS`, typed.

    ``parquet_scale``: refuse decimals with more than :data:`DECIMAL_SCALE` places (Parquet's fixed
    scale would round them); CSV and JSONL write any decimal exactly and pass ``False``.

    Raises:
        ExportError: a value does not fit its column (the record's id says which record).
    """
    fields = _FIELDS[dataset](record)
    try:
        return {name: _typed(kind, fields.get(name), name, parquet_scale) for name, kind in COLUMNS[dataset]}
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ExportError(f"{dataset} record {record.get(_IDENTITY[dataset])!r}: {exc}") from exc


def row_date(dataset: Dataset, row: Row) -> date | None:
    """The date ``--since`` compares: the trade date (a holding's period of report), the alert's
    creation date, or the position's latest reported holding date."""
    if dataset == "transactions":
        day: date | None = row["transaction_date"] or row["period_of_report"]
        return day
    if dataset == "alerts":
        created: datetime | None = row["created_at"]
        return created.date() if created else None
    as_of: date | None = row["as_of"]
    return as_of


def keep(dataset: Dataset, row: Row, since: date | None, tickers: frozenset[str]) -> bool:
    """Whether ``row`` passes ``--since`` (on :func:`row_date`) and ``--ticker`` (upper-case set)."""
    if tickers and (row.get("ticker") or "").upper() not in tickers:
        return False
    if since is not None:
        day = row_date(dataset, row)
        if day is None or day < since:
            return False
    return True


# --- writers -------------------------------------------------------------------------------------


def _csv_text(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind == "decimal":
        return format(value, "f")
    if kind in ("date", "timestamp"):
        return str(value.isoformat())
    if kind == "bool":
        return "true" if value else "false"
    if kind == "list":
        return "; ".join(value)
    return str(value)


def arrow_schema(dataset: Dataset) -> Any:
    """The pyarrow schema of ``dataset``'s Parquet file (pyarrow is imported only for Parquet)."""
    import pyarrow as pa

    types: dict[Kind, Any] = {
        "str": pa.string(),
        "json": pa.string(),
        "int": pa.int64(),
        "bool": pa.bool_(),
        "decimal": pa.decimal128(38, DECIMAL_SCALE),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "list": pa.list_(pa.string()),
    }
    return pa.schema([pa.field(name, types[kind]) for name, kind in COLUMNS[dataset]])


class RowWriter:
    """Writes one dataset to one file in one format; use as a context manager.

    JSONL lines are the records' bytes unchanged; CSV and Parquet rows come from :func:`flatten`.
    """

    def __init__(
        self, dataset: Dataset, fmt: Format, out: Path | IO[bytes], batch_rows: int = 10_000
    ) -> None:
        self.dataset = dataset
        self.fmt = fmt
        self.count = 0
        self._columns = COLUMNS[dataset]
        self._batch: list[Row] = []
        self._batch_rows = batch_rows
        self._own = isinstance(out, Path)
        self._stream: IO[bytes] = out.open("wb") if isinstance(out, Path) else out
        self._text: io.TextIOWrapper | None = None
        self._csv: Any = None
        self._parquet: Any = None
        if fmt == "csv":
            self._text = io.TextIOWrapper(self._stream, encoding="utf-8", newline="", write_through=True)
            self._csv = csv.writer(self._text)
            self._csv.writerow([name for name, _ in self._columns])
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            self._schema = arrow_schema(dataset)
            self._parquet = pq.ParquetWriter(self._stream, self._schema, compression="zstd")

    def write(self, row: Row, record: Mapping[str, Any], raw: bytes | None = None) -> None:
        """One record: its flat ``row`` for CSV and Parquet; for JSONL ``raw`` (the bytes as on the
        topic) or else ``record`` as JSON."""
        if self.fmt == "jsonl":
            line = raw.strip() if raw is not None else orjson.dumps(record)
            self._stream.write(line + b"\n")
        elif self.fmt == "csv":
            self._csv.writerow([_csv_text(kind, row[name]) for name, kind in self._columns])
        else:
            self._batch.append(row)
            if len(self._batch) >= self._batch_rows:
                self._flush()
        self.count += 1

    def _flush(self) -> None:
        if not self._batch:
            return
        import pyarrow as pa

        self._parquet.write_table(pa.Table.from_pylist(self._batch, schema=self._schema))
        self._batch = []

    def close(self) -> None:
        if self._parquet is not None:
            self._flush()
            self._parquet.close()  # writes the footer; the file is unreadable without it
        if self._text is not None:
            self._text.flush()
            self._text.detach()  # leave the byte stream to its owner
        self._stream.flush()
        if self._own:
            self._stream.close()

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "COLUMNS",
    "DECIMAL_SCALE",
    "Dataset",
    "ExportError",
    "Format",
    "RowWriter",
    "arrow_schema",
    "flatten",
    "keep",
    "row_date",
]
