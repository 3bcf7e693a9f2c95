"""The ``compact://`` table store: Faust's memory store holding each value as its changelog bytes.

Issue 12, goal 2: a backfill of millions of positions must fit in memory. Faust's memory store keeps
every value as a Python object: a position is a tree of pydantic models, ``Decimal`` s, dates and
strings, measured at 4.8 KB of worker RSS per tracked position at 100k positions. This store keeps
the bytes the table's codec writes to its changelog (``streams.worker.state_codecs``: a record's
wire encoding) and decodes a value when it is read: several times smaller, for a decode per read
(the ledger reads a handful of keys per filing). Recovery stores the changelog's bytes as they come,
without decoding them: faster, and no peak of objects and records held at once.

Everything else is Faust's memory store: rebuilt from the changelog topics at start, nothing on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

from faust.stores import STORES, memory
from faust.types import EventT

SCHEME = "compact"


class EncodedValues(MutableMapping[Any, Any]):
    """A dict whose values are held encoded: ``encode`` on the way in, ``decode`` on the way out."""

    __slots__ = ("decode", "encode", "raw")

    def __init__(self, encode: Callable[[Any], bytes | None], decode: Callable[[bytes], Any]) -> None:
        self.raw: dict[Any, bytes] = {}
        self.encode, self.decode = encode, decode

    def __getitem__(self, key: Any) -> Any:
        return self.decode(self.raw[key])

    def get(self, key: Any, default: Any = None) -> Any:
        data = self.raw.get(key)
        return default if data is None else self.decode(data)

    def __setitem__(self, key: Any, value: Any) -> None:
        data = self.encode(value)
        if data is None:
            raise TypeError(f"{key!r}: the table's codec encoded {type(value).__name__} as nothing")
        self.raw[key] = data

    def __delitem__(self, key: Any) -> None:
        del self.raw[key]

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def __iter__(self) -> Iterator[Any]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def clear(self) -> None:
        self.raw.clear()


class CompactStore(memory.Store[Any, Any]):
    """Faust's memory store over :class:`EncodedValues` (see the module's docstring)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.data = EncodedValues(self._encode_value, self._decode_value)

    def apply_changelog_batch(
        self,
        batch: Iterable[EventT[Any]],
        to_key: Callable[[Any], Any],
        to_value: Callable[[Any], Any],
    ) -> None:
        """Apply changelog records as their bytes (not decoded); a record without a value deletes."""
        raw: dict[Any, bytes] = self.data.raw  # type: ignore[attr-defined]
        partitions: MutableMapping[Any, int] = self._key_partition
        for event in batch:
            message = event.message
            key = to_key(event.key)
            value = message.value
            if value is None:
                raw.pop(key, None)
                partitions.pop(key, None)
            else:
                raw[key] = value
                partitions[key] = message.partition


def register() -> None:
    """Make ``compact://`` a Faust store URL (idempotent)."""
    STORES.aliases[SCHEME] = f"{__name__}:CompactStore"


__all__ = ["SCHEME", "CompactStore", "EncodedValues", "register"]
