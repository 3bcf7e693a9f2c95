"""``python -m streams.domain.schemas [--check]``: regenerate the committed JSON Schemas (or check them)."""

from __future__ import annotations

import sys

from streams.domain.schemas import CONTRACTS, SCHEMA_DIR, render, write_all


def main(argv: list[str]) -> int:
    """Write every schema file; with ``--check`` only report drift (exit 1) and write nothing."""
    if "--check" in argv:
        stale = [
            c.file_name
            for n, c in CONTRACTS.items()
            if not (SCHEMA_DIR / c.file_name).exists()
            or (SCHEMA_DIR / c.file_name).read_text(encoding="utf-8") != render(n)
        ]
        for name in stale:
            print(f"stale: {name} (run: python -m streams.domain.schemas)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_all():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
