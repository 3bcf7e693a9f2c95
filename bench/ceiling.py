"""The ceiling of any worker on one core: the parser's and the ledger's own work, with no Kafka at all.

Reads every file of a folder (complete submissions named ``<accession>.txt``, as ``bench/throughput.py``
writes them), then times, from the first filing to the last: parse (the parse agent's
``parsed_filing``: parse, events, fingerprint) and apply to a ``Ledger`` on dict stores
(``apply_now``), in name order, with the worker's garbage-collector policy (``FORM4_GC_FREEZE``).
Nothing is consumed, produced, encoded for a changelog or committed, so no worker that parses and keeps
this ledger can go faster on one core; ``bench/throughput.py`` runs it beside the yardstick, so its
ratio to the yardstick bounds the worker's.

    .venv/bin/python bench/ceiling.py FOLDER
prints: "<filings> <seconds from the first filing to the last>"
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

from parsers import ParseError
from parsers.identity import accession_in_name
from streams.config.settings import Settings
from streams.domain.ledger import Ledger, Stores
from streams.domain.parsed import parsed_filing
from streams.worker.collector import install


def main(folder: Path) -> None:
    settings = Settings(_env_file=None)
    inputs = [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]
    install(settings, CollectorRegistry())  # the worker's GC policy: freeze after full collections
    ledger = Ledger(Stores(), settings)
    began = time.perf_counter()
    for name, raw in inputs:
        try:
            filing = parsed_filing(raw, settings, accession_in_name(name))
        except ParseError:
            continue  # the worker dead-letters it: no ledger work
        ledger.apply_now(filing)
    print(f"{len(inputs)} {time.perf_counter() - began:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
