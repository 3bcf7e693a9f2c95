"""The EDGAR producer's checkpoint: accessions already sent and the last backfill day done.

One JSON file under ``data_dir/edgar/``, replaced atomically (write, fsync, rename) so a crash
leaves either the old or the new checkpoint, never half of one. The set of accessions is bounded:
the feed only ever shows the last few hundred filings, and a re-send of an older one is harmless
anyway (the worker drops duplicates by filing id).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from streams.config.settings import Settings

MAX_REMEMBERED = 50_000


def state_path(settings: Settings) -> Path:
    """Where the checkpoint lives."""
    return settings.data_dir / "edgar" / "state.json"


@dataclass
class EdgarState:
    """Accessions sent (oldest first, bounded) and the last backfill day completed."""

    path: Path
    sent: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_REMEMBERED))
    backfill_done: date | None = None
    _index: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def load(cls, path: Path, limit: int = MAX_REMEMBERED) -> EdgarState:
        """The checkpoint at ``path``; empty when there is none yet."""
        state = cls(path=path, sent=deque(maxlen=limit))
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            for accession in data.get("sent", []):
                state.add(accession)
            done = data.get("backfill_done")
            state.backfill_done = date.fromisoformat(done) if done else None
        return state

    def __contains__(self, accession: object) -> bool:
        return accession in self._index

    def __len__(self) -> int:
        return len(self.sent)

    def add(self, accession: str) -> None:
        """Remember ``accession`` as sent, forgetting the oldest one beyond the bound."""
        if accession in self._index:
            return
        if self.sent.maxlen is not None and len(self.sent) == self.sent.maxlen:
            self._index.discard(self.sent[0])  # the deque drops it on append
        self.sent.append(accession)
        self._index.add(accession)

    def save(self) -> None:
        """Write the checkpoint atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "sent": list(self.sent),
            "backfill_done": self.backfill_done.isoformat() if self.backfill_done else None,
        }
        fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
