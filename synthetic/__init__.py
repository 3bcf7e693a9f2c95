"""Synthetic SEC ownership filings (Forms 3, 4, 5 and amendments) for tests and load tests.

:func:`generate` yields seeded, internally consistent :class:`~parsers.models.Filing` models;
the ``render_*`` modules turn one into the bytes of a given format (ownership XML, EDGAR
complete-submission text, EDGAR's HTML rendering, and its ``w3m -dump`` plain text).
"""

from __future__ import annotations

from synthetic.batch import iter_raw, write_batch
from synthetic.generator import Universe, generate

__all__ = ["Universe", "generate", "iter_raw", "write_batch"]
