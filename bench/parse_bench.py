"""Parsing throughput per format on the real EDGAR corpus, side by side with edgartools on the XML.

Usage::

    .venv/bin/python bench/parse_bench.py [--rounds 5] [--synthetic 5000] [--no-edgartools]

Writes ``bench/results/parse.json`` and prints a table. The corpus is read by path from
``FORM4_CORPUS`` (default ``../shared/filings`` next to the repository), never copied.

What is measured
----------------
* **Ours**: ``parsers.parse(raw_bytes)``, exactly as the pipeline calls it: size check, format
  sniffing, SHA-256 of the input, parsing, frozen pydantic ``Filing``. Every corpus file of a format
  that our parser accepts is parsed once per round; rejected files (malformed, not a Form 3/4/5, ...)
  are counted and left out of the timing.
* **edgartools, full** (``edgartools_full``): ``FormN(**Ownership.parse_xml(raw_bytes.decode()))``
  with N = 3, 4 or 5 from the document type: the same call ``edgar.Filing.obj()`` makes once it has
  fetched the XML (edgar/__init__.py). It parses with lxml (recover mode), walks the document and
  builds pandas DataFrames for the transaction/holding tables.
* **edgartools, XML layer** (``edgartools_xml_layer``): ``edgar.xmltools.parse_xml(text)``, the lxml
  parse it starts with: a floor for anything built on edgartools, not a parser of the form.

edgartools offline: ``ReportingOwners.from_reporting_owner_tags`` calls ``Entity(int(cik)).data``
per reporting owner, which downloads ``data.sec.gov/submissions/CIK##########.json`` to decide
whether to reverse the owner's name. That lookup is replaced by an in-memory stub
(``edgar.ownership.owners.Entity = _OfflineEntity``: every owner is an individual, so edgartools
still runs its ``reverse_name``); nothing else of edgartools is touched. The whole process runs with
the network blocked (``socket.connect``, ``connect_ex``, ``create_connection`` and ``getaddrinfo``
raise) and the number of blocked attempts is recorded: it must be 0.

Rounds alternate ours / edgartools full / edgartools XML layer on the same in-memory inputs, so
that load from other processes on a shared machine hits all three alike. The best round is the
headline (least disturbed), the median is reported next to it.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import platform
import socket
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "results" / "parse.json"
# manifest ``format`` -> the parser's format name; other rows (xsd, "other") are not filings.
FORMATS: dict[str, str] = {"xml": "xml", "submission_txt": "submission", "html": "html", "text": "text"}
IDENTITY = "form4-stream benchmark bench@example.invalid"

# --------------------------------------------------------------------------------------------------
# Network guard: installed before edgartools is imported.

_BLOCKED: list[str] = []


def _refuse(name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        _BLOCKED.append(f"{name}{args[1:2] if name.startswith('socket.') else args[:1]}")
        raise OSError(f"network blocked by bench/parse_bench.py ({name})")

    return refuse


def block_network() -> None:
    """Make every outbound connection and DNS lookup in this process fail (and be counted)."""
    socket.socket.connect = _refuse("socket.connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse("socket.connect_ex")  # type: ignore[method-assign]
    socket.create_connection = _refuse("create_connection")  # type: ignore[assignment]
    socket.getaddrinfo = _refuse("getaddrinfo")  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------------
# Inputs


def corpus_dir() -> Path:
    raw = Path(os.environ.get("FORM4_CORPUS", "../shared/filings"))
    path = raw if raw.is_absolute() else (REPO / raw).resolve()
    if not (path / "manifest.tsv").is_file():
        sys.exit(f"corpus not found: {path}/manifest.tsv (set FORM4_CORPUS)")
    return path


@dataclass
class FormatSet:
    name: str
    accepted: list[bytes] = field(default_factory=list)
    form_types: list[str] = field(default_factory=list)
    rows: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def load_corpus(root: Path) -> tuple[dict[str, FormatSet], Counter[str]]:
    """Every corpus file read once into memory, grouped by format, with our parser's verdict."""
    import parsers

    sets = {name: FormatSet(name) for name in FORMATS.values()}
    skipped: Counter[str] = Counter()
    with (root / "manifest.tsv").open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            fmt = FORMATS.get(rec["format"])
            if fmt is None:
                skipped[rec["format"]] += 1
                continue
            raw = (root / rec["local_name"]).read_bytes()
            try:
                filing = parsers.parse(raw)
            except parsers.ParseError as exc:
                sets[fmt].rejected[exc.reason] += 1
                continue
            sets[fmt].accepted.append(raw)
            sets[fmt].form_types.append(filing.form_type)
            sets[fmt].rows += len(filing.rows)
    return sets, skipped


def synthetic_xml(seed: int, n: int) -> list[bytes]:
    from synthetic.batch import iter_raw

    return [raw for _, raw in iter_raw(seed, n, "xml")]


# --------------------------------------------------------------------------------------------------
# edgartools


class _OfflineEntity:
    """Stand-in for ``edgar.entity.Entity`` inside the owner parser: no submissions download."""

    data = SimpleNamespace(is_company=False)

    def __init__(self, cik: int) -> None:
        self.cik = cik


def edgartools_calls() -> tuple[Callable[[bytes], Any], Callable[[bytes], Any], Callable[[], None]]:
    """(full, xml_layer, restore): the two timed edgartools calls, offline."""
    import edgar
    from edgar.ownership import owners
    from edgar.ownership.forms import Form3, Form4, Form5, Ownership
    from edgar.xmltools import parse_xml

    edgar.set_identity(IDENTITY)
    original = owners.Entity
    owners.Entity = _OfflineEntity  # type: ignore[misc,assignment]
    classes = {"3": Form3, "4": Form4, "5": Form5}

    def full(raw: bytes) -> Any:
        # What edgar.Filing.obj() does with the XML of a Form 3/4/5 (edgar/__init__.py).
        fields = Ownership.parse_xml(raw.decode("utf-8"))
        return classes.get(fields["form"].strip()[:1], Form4)(**fields)

    def xml_layer(raw: bytes) -> Any:
        return parse_xml(raw.decode("utf-8"))

    def restore() -> None:
        owners.Entity = original  # type: ignore[misc]

    return full, xml_layer, restore


def edgartools_rows(obj: Any) -> int:
    nd, d = obj.non_derivative_table, obj.derivative_table
    return sum(len(x) for x in (nd.transactions, nd.holdings, d.transactions, d.holdings))


def edgartools_breakdown(full: Callable[[bytes], Any], inputs: Sequence[bytes]) -> dict[str, float]:
    """Share of edgartools' full parse spent in each stage (cProfile cumulative time, one pass).

    Profiling inflates Python-heavy code; the shares are indicative, the timings above are not profiled.
    """
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for raw in inputs:
        full(raw)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    stages = {
        "lxml_parse (edgar.xmltools.parse_xml)": ("xmltools.py", "parse_xml"),
        "tables + DataFrames (NonDerivativeTable/DerivativeTable.extract)": (
            "table_containers.py",
            "extract",
        ),
        "owners (ReportingOwners.from_reporting_owner_tags, lookup stubbed)": (
            "owners.py",
            "from_reporting_owner_tags",
        ),
        "footnotes (Footnotes.extract)": ("models.py", "extract"),
    }
    whole = max(
        ct
        for (file, _, fn), (_, _, _, ct, _) in stats.items()
        if fn == "parse_xml" and file.endswith("forms.py")
    )
    out: dict[str, float] = {}
    for label, (file, fn_name) in stages.items():
        cum = sum(ct for (f, _, fn), (_, _, _, ct, _) in stats.items() if fn == fn_name and f.endswith(file))
        out[label] = round(cum / whole, 3)
    return out


# --------------------------------------------------------------------------------------------------
# Timing


Round = tuple[float, float]
"""(wall seconds by ``perf_counter``, CPU seconds of this process by ``process_time``)."""


def time_once(fn: Callable[[bytes], Any], inputs: Sequence[bytes]) -> Round:
    """Time to call ``fn`` on every input once, with the cyclic GC paused (collected before).

    CPU time is recorded next to wall time: on a shared machine it is less disturbed by other
    processes (waiting for a core does not count), though cache and SMT contention still do.
    """
    gc.collect()
    gc.disable()
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for raw in inputs:
            fn(raw)
        return time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        gc.enable()


def interleaved(
    fns: dict[str, Callable[[bytes], Any]], inputs: Sequence[bytes], rounds: int
) -> dict[str, list[Round]]:
    """``rounds`` rounds of A, B, C, ... over the same inputs; per-name list of round seconds."""
    for fn in fns.values():  # warm-up: lazy imports, caches, first-call costs
        for raw in inputs[:10]:
            fn(raw)
    out: dict[str, list[Round]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            out[name].append(time_once(fn, inputs))
    return out


def summary(rounds: list[Round], n: int) -> dict[str, Any]:
    seconds = [wall for wall, _ in rounds]
    cpu = [c for _, c in rounds]
    best, median = min(seconds), statistics.median(seconds)
    return {
        "filings": n,
        "rounds_seconds": [round(s, 6) for s in seconds],
        "rounds_cpu_seconds": [round(s, 6) for s in cpu],
        "best_cpu_seconds": round(min(cpu), 6),
        "ms_per_filing_cpu": round(min(cpu) / n * 1000, 4),
        "best_seconds": round(best, 6),
        "median_seconds": round(median, 6),
        "filings_per_second": round(n / best, 1),
        "filings_per_second_median": round(n / median, 1),
        "ms_per_filing": round(best / n * 1000, 4),
        "ms_per_filing_median": round(median / n * 1000, 4),
    }


def peak_memory(fn: Callable[[bytes], Any], inputs: Sequence[bytes]) -> dict[str, float]:
    """tracemalloc peak (KiB) while parsing one filing (result alive when the peak is read), over all inputs.

    tracemalloc sees Python allocations only: libxml2's own tree (malloc) is invisible to it, on
    both sides alike.
    """
    for raw in inputs[:5]:
        fn(raw)
    peaks: list[float] = []
    tracemalloc.start()
    try:
        for raw in inputs:
            gc.collect()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            result = fn(raw)
            peaks.append((tracemalloc.get_traced_memory()[1] - base) / 1024)
            del result
    finally:
        tracemalloc.stop()
    return {
        "mean_kib": round(statistics.fmean(peaks), 1),
        "median_kib": round(statistics.median(peaks), 1),
        "max_kib": round(max(peaks), 1),
    }


def machine() -> dict[str, Any]:
    def ver(pkg: str) -> str | None:
        try:
            return version(pkg)
        except PackageNotFoundError:
            return None

    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": {p: ver(p) for p in ("lxml", "pydantic", "pydantic-core", "edgartools", "pandas")},
    }


# --------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    block_network()
    import parsers

    record: dict[str, Any] = {"machine": machine(), "rounds": args.rounds}
    root = corpus_dir()
    sets, skipped = load_corpus(root)
    record["corpus"] = {
        "path": str(root),
        "not_filings_skipped": dict(skipped),
        "per_format": {
            name: {
                "accepted": len(s.accepted),
                "rejected": dict(s.rejected),
                "rows": s.rows,
                "bytes_mean": round(statistics.fmean(map(len, s.accepted))) if s.accepted else 0,
                "form_types": dict(Counter(s.form_types)),
            }
            for name, s in sets.items()
        },
    }

    def ours(raw: bytes) -> Any:
        return parsers.parse(raw)

    # Real corpus, XML: ours and edgartools interleaved.
    xml = sets["xml"].accepted
    fns: dict[str, Callable[[bytes], Any]] = {"ours": ours}
    restore: Callable[[], None] = lambda: None  # noqa: E731
    theirs_full = None
    if not args.no_edgartools:
        t0 = time.perf_counter()
        theirs_full, theirs_xml, restore = edgartools_calls()
        record["edgartools_import_seconds"] = round(time.perf_counter() - t0, 3)
        failures = Counter()
        their_rows = 0
        for raw in xml:
            try:
                their_rows += edgartools_rows(theirs_full(raw))
            except Exception as exc:  # noqa: BLE001 - recorded, and the bench then refuses to compare
                failures[type(exc).__name__] += 1
        if failures:
            sys.exit(f"edgartools failed on {sum(failures.values())} of the XML files: {dict(failures)}")
        record["edgartools_rows_extracted"] = their_rows
        fns |= {"edgartools_full": theirs_full, "edgartools_xml_layer": theirs_xml}

    xml_rounds = interleaved(fns, xml, args.rounds)
    results: dict[str, Any] = {"xml": {name: summary(secs, len(xml)) for name, secs in xml_rounds.items()}}
    if theirs_full is not None:
        res = results["xml"]
        res["ratio_full_best"] = round(
            res["edgartools_full"]["best_seconds"] / res["ours"]["best_seconds"], 2
        )
        res["ratio_full_median"] = round(
            statistics.median(
                t[0] / o[0] for t, o in zip(xml_rounds["edgartools_full"], xml_rounds["ours"], strict=True)
            ),
            2,
        )
        res["ratio_full_cpu_best"] = round(
            res["edgartools_full"]["best_cpu_seconds"] / res["ours"]["best_cpu_seconds"], 2
        )
        res["ratio_xml_layer_best"] = round(
            res["edgartools_xml_layer"]["best_seconds"] / res["ours"]["best_seconds"], 3
        )
        res["memory"] = {"ours": peak_memory(ours, xml), "edgartools_full": peak_memory(theirs_full, xml)}
        res["edgartools_full_breakdown"] = edgartools_breakdown(theirs_full, xml)
    else:
        results["xml"]["memory"] = {"ours": peak_memory(ours, xml)}

    # Real corpus, other formats: ours only (edgartools parses only the XML of ownership forms).
    for name in ("submission", "html", "text"):
        inputs = sets[name].accepted
        if inputs:
            timed = interleaved({"ours": ours}, inputs, args.rounds)["ours"]
            results[name] = {"ours": summary(timed, len(inputs))}
    record["corpus_results"] = results

    # Synthetic XML: realistic sizes in bulk.
    if args.synthetic:
        t0 = time.perf_counter()
        synth = synthetic_xml(args.seed, args.synthetic)
        gen_seconds = time.perf_counter() - t0
        syn: dict[str, Any] = {
            "seed": args.seed,
            "generated": len(synth),
            "generation_seconds_untimed": round(gen_seconds, 2),
            "bytes_mean": round(statistics.fmean(map(len, synth))),
            "ours": summary(interleaved({"ours": ours}, synth, args.synthetic_rounds)["ours"], len(synth)),
        }
        if theirs_full is not None and args.edgartools_synthetic:
            subset = synth[: args.edgartools_synthetic]
            both = interleaved({"ours": ours, "edgartools_full": theirs_full}, subset, args.rounds)
            syn["subset_vs_edgartools"] = {
                "filings": len(subset),
                "ours": summary(both["ours"], len(subset)),
                "edgartools_full": summary(both["edgartools_full"], len(subset)),
                "ratio_full_best": round(
                    min(w for w, _ in both["edgartools_full"]) / min(w for w, _ in both["ours"]), 2
                ),
                "ratio_full_cpu_best": round(
                    min(c for _, c in both["edgartools_full"]) / min(c for _, c in both["ours"]), 2
                ),
            }
        record["synthetic_xml"] = syn

    restore()
    record["network_attempts_blocked"] = len(_BLOCKED)
    record["network_attempts_detail"] = _BLOCKED[:10]
    record["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return record


def print_table(rec: dict[str, Any]) -> None:
    res = rec["corpus_results"]
    print(f"\nParsing, real corpus ({rec['corpus']['path']}), best of {rec['rounds']} rounds")
    print(
        f"{'format':<12}{'parser':<24}{'files':>6}{'filings/s':>12}"
        f"{'ms/filing':>11}{'(median)':>10}{'cpu ms':>9}"
    )
    for fmt, entry in res.items():
        for who in ("ours", "edgartools_full", "edgartools_xml_layer"):
            if who in entry:
                s = entry[who]
                print(
                    f"{fmt:<12}{who:<24}{s['filings']:>6}{s['filings_per_second']:>12.0f}"
                    f"{s['ms_per_filing']:>11.3f}{s['ms_per_filing_median']:>10.3f}"
                    f"{s['ms_per_filing_cpu']:>9.3f}"
                )
    x = res["xml"]
    if "ratio_full_best" in x:
        print(
            f"\nXML: ours is {x['ratio_full_best']}x faster than edgartools full (median of per-round ratios "
            f"{x['ratio_full_median']}x, CPU time {x['ratio_full_cpu_best']}x); edgartools' bare lxml parse "
            f"takes {x['ratio_xml_layer_best']}x our full parse"
        )
    mem = x["memory"]
    print(
        "peak Python memory per XML filing (KiB, tracemalloc): "
        + ", ".join(f"{k} mean {v['mean_kib']} / max {v['max_kib']}" for k, v in mem.items())
    )
    if "synthetic_xml" in rec:
        syn = rec["synthetic_xml"]
        s = syn["ours"]
        print(
            f"synthetic XML ({syn['generated']} filings, {syn['bytes_mean']} B mean): ours "
            f"{s['filings_per_second']:.0f} filings/s, {s['ms_per_filing']:.3f} ms/filing"
        )
        if "subset_vs_edgartools" in syn:
            sub = syn["subset_vs_edgartools"]
            print(
                f"  first {sub['filings']} vs edgartools full: {sub['ratio_full_best']}x "
                f"(CPU time {sub['ratio_full_cpu_best']}x)"
            )
    print(f"network attempts blocked: {rec['network_attempts_blocked']}")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (best reported)")
    parser.add_argument("--synthetic", type=int, default=5000, help="synthetic XML filings (0: skip)")
    parser.add_argument("--synthetic-rounds", type=int, default=3)
    parser.add_argument(
        "--edgartools-synthetic",
        type=int,
        default=500,
        help="first N synthetic filings also parsed by edgartools (0: skip)",
    )
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--no-edgartools", action="store_true", help="time our parser only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    record = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print_table(record)
    print(f"-> {args.out}")
    return record


if __name__ == "__main__":
    main()
