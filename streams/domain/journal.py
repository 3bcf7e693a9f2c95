"""All-or-nothing writes to the ledger's stores: a journal that can undo what one apply wrote.

The ledger writes several stores per filing (positions, sales, alerts, groups, ...). A failure
half-way (a bug, a value that overflows) would otherwise leave some of them written: a position with
the rows of a filing that was then dead-lettered, or an alert recorded as raised but never sent. The
journal records each key's value before its first write and puts every one back on rollback, so a
failed apply leaves the stores as they were, whether the filing is retried or dead-lettered.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from streams.domain.ledger import Stores

K = TypeVar("K")
V = TypeVar("V")

_ABSENT: Any = object()
"""Marks a key that did not exist before its first write (rollback deletes it)."""


class _Recording(MutableMapping[K, V], Generic[K, V]):
    """A store seen through the journal: reads pass through, writes remember the value they replace."""

    def __init__(self, inner: MutableMapping[K, V]) -> None:
        self.inner = inner
        self.before: dict[K, V] = {}

    def _remember(self, key: K) -> None:
        if key not in self.before:
            self.before[key] = self.inner.get(key, _ABSENT)

    def __getitem__(self, key: K) -> V:
        return self.inner[key]

    def get(self, key: K, default: Any = None) -> Any:
        # Faster than Mapping.get's __getitem__ + KeyError, and the way the ledger reads.
        return self.inner.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.inner

    def __setitem__(self, key: K, value: V) -> None:
        self._remember(key)
        self.inner[key] = value

    def __delitem__(self, key: K) -> None:
        self._remember(key)
        del self.inner[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self.inner)

    def __len__(self) -> int:
        return len(self.inner)

    def rollback(self) -> None:
        for key, old in self.before.items():
            if old is _ABSENT:
                if key in self.inner:
                    del self.inner[key]
            else:
                self.inner[key] = old
        self.before.clear()


class Journal:
    """``Journal(stores).stores`` is a :class:`Stores` that records; ``rollback()`` undoes its writes."""

    def __init__(self, stores: Stores) -> None:
        # Every field of Stores, so a store added later is journalled without a change here.
        self._recorders = {f.name: _Recording(getattr(stores, f.name)) for f in fields(stores)}
        self.stores: Stores = replace(stores, **self._recorders)

    def rollback(self) -> None:
        """Put back every key written through :attr:`stores` as it was before."""
        for recorder in self._recorders.values():
            recorder.rollback()


__all__ = ["Journal"]
