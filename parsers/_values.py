"""Format-independent value helpers shared by every parser (XML, submission, HTML, text).

Signatures here are a contract for the other parsers: keep them stable. The helpers raise
``ValueError`` on junk and return ``None`` for "nothing there"; each parser turns the ``ValueError``
into its own :class:`~parsers.errors.ParseError` with the place it was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from parsers.errors import ImplausibleValue
from parsers.models import Row

__all__ = [
    "AMOUNT_FIELDS",
    "MAX_AMOUNT",
    "MAX_NUMBER_CHARS",
    "MAX_PRICE",
    "PRICE_FIELDS",
    "SMALLEST_AMOUNT",
    "check_plausible",
    "clean_text",
    "find_plan_adoption_date",
    "mentions_10b5_1",
    "negates_10b5_1",
    "normalise_cik",
    "normalise_ticker",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "plan_10b5_1",
    "ties_to_10b5_1_plan",
]

_WS = re.compile(r"\s+")


def clean_text(text: str | None) -> str | None:
    """Collapse runs of whitespace and strip; empty becomes ``None``."""
    if text is None:
        return None
    # str.split/join is several times faster than a regex substitution on short values.
    return " ".join(text.split()) or None


# --- numbers ---------------------------------------------------------------------------------

# Thousands separators, currency signs and stray spaces are presentation, not value.
_NUM_JUNK = re.compile(r"[,$\s\u00a0]")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

# Plausibility bounds (reason ``implausible_value``). EDGAR's schema types every amount as
# POSITIVE_DECIMAL: 0 to 999,999,999,999.9999, at most 4 decimals; the bounds below leave a wide
# margin over that (and over every filing of the real corpus), so they only stop values that no
# filing carries and that would make arithmetic blow up downstream (a ``1e999999999`` costs
# gigabytes once added to anything).
MAX_NUMBER_CHARS = 40
"""Longest amount text, separators and currency signs removed: checked before ``Decimal`` sees it."""
SMALLEST_AMOUNT = Decimal("1E-10")
"""A nonzero amount below this (or a zero written with more than 10 decimals) is refused; the schema
allows 4 decimals."""
MAX_AMOUNT = Decimal(10) ** 15
"""Share counts and dollar values must be below this (1,000 times the schema's maximum)."""
MAX_PRICE = Decimal(10) ** 9
"""Prices per share (and conversion/exercise prices) must be below this: a billion dollars a share."""
AMOUNT_FIELDS: tuple[str, ...] = (
    "shares",
    "total_value",
    "shares_owned_following",
    "value_owned_following",
    "underlying_shares",
    "underlying_value",
)
PRICE_FIELDS: tuple[str, ...] = ("price_per_share", "conversion_or_exercise_price")
# ``adjusted()`` is the exponent of a number's first digit: bounding it (a C attribute read, no
# arithmetic, no digit tuple) bounds the magnitude either way; MAX_NUMBER_CHARS bounds the digits.
_MAX_ADJUSTED = MAX_AMOUNT.adjusted() - 1
_MIN_ADJUSTED = SMALLEST_AMOUNT.adjusted()


def _shown(text: str) -> str:
    # Error messages quote the text, but never a whole multi-megabyte value.
    return repr(text) if len(text) <= 60 else repr(text[:60]) + f"... ({len(text)} characters)"


def _checked(value: Decimal, text: str) -> Decimal:
    """Refuse a number by its shape (its exponent), before any arithmetic touches it."""
    adjusted = value.adjusted()
    if adjusted > _MAX_ADJUSTED:
        raise ImplausibleValue(f"amount {_shown(text)} is not below {MAX_AMOUNT:,}")
    if adjusted < _MIN_ADJUSTED:
        raise ImplausibleValue(f"amount {_shown(text)} is below {SMALLEST_AMOUNT} or has over 10 decimals")
    return value


def parse_decimal(text: str | None) -> Decimal | None:
    """Parse an amount such as ``"1,234.50"`` or ``"$12"``.

    A value in parentheses, ``"(1,000)"``, is negative (accounting style, seen in renderings);
    :func:`check_plausible` refuses negative amounts where a filing cannot have them.

    Returns:
        The decimal, or ``None`` when the text is empty.

    Raises:
        ValueError: the text is not a number (never silently 0).
        ImplausibleValue: the number is absurd by its text alone: more than ``MAX_NUMBER_CHARS``
            characters, an integer part of 16+ digits (``1e999999999``, a 30-digit count) or a
            magnitude below ``SMALLEST_AMOUNT`` (``1e-999999999``). Checked before any arithmetic;
            the caller adds where it was found.
    """
    if text is None:
        return None
    # Fast path for the common plain number ("1381", "12.5"); Decimal also takes "NaN"/"Infinity",
    # which are junk here and go through the strict path below. Only short texts: a long one is
    # refused on its length below before Decimal ever parses it.
    if len(text) <= MAX_NUMBER_CHARS:
        try:
            fast = Decimal(text)
        except InvalidOperation:
            pass
        else:
            if fast.is_finite():
                return _checked(fast, text)
    raw = _NUM_JUNK.sub("", text)
    if not raw:
        return None
    if len(raw) > MAX_NUMBER_CHARS:
        if _NUMBER.fullmatch(raw.strip("()")):
            raise ImplausibleValue(f"amount {_shown(text)} is longer than {MAX_NUMBER_CHARS} characters")
        raise ValueError(f"not a number: {_shown(text)}")
    negative = raw.startswith("(") and raw.endswith(")")
    if negative:
        raw = raw[1:-1]
    if not _NUMBER.fullmatch(raw):
        raise ValueError(f"not a number: {text!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already vetted it
        raise ValueError(f"not a number: {text!r}") from exc
    value = _checked(value, text)
    return -value if negative else value


def check_plausible(rows: Iterable[Row]) -> None:
    """Refuse a filing whose rows carry an amount no real filing has.

    Every amount must be zero or more; share counts and dollar values below ``MAX_AMOUNT``, prices
    below ``MAX_PRICE``. One check for every format, after the rows are built (their decimals are
    already bounded in shape by :func:`parse_decimal`, so comparing them is cheap).

    Raises:
        ImplausibleValue: naming the table, row and field.
    """
    for row in rows:
        for fields, limit in ((AMOUNT_FIELDS, MAX_AMOUNT), (PRICE_FIELDS, MAX_PRICE)):
            for name in fields:
                value = getattr(row, name)
                if value is None:
                    continue
                where = f"{row.table} row {row.index}: {name}"
                if value < 0:
                    raise ImplausibleValue(f"{name} {value} is negative", where=where)
                if value >= limit:
                    raise ImplausibleValue(f"{name} {value} is not below {limit:,}", where=where)


# --- dates -----------------------------------------------------------------------------------

# EDGAR writes ISO dates, sometimes with a UTC-offset suffix ("2013-11-22-05:00"), which is
# dropped: the field is a calendar date. Renderings use US "MM/DD/YYYY" and "Month D, YYYY".
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:T[\d:.]+)?(?:Z|[+-]\d{2}:?\d{2})?")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_MONTH_RE = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_NAMED_DATE = re.compile(_MONTH_RE + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.IGNORECASE)
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})\s+" + _MONTH_RE + r"\.?,?\s+(\d{4})", re.IGNORECASE)
# Any date form, for searching inside free text (footnotes).
DATE_IN_TEXT = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b|"
    + _MONTH_RE
    + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\s+"
    + _MONTH_RE
    + r"\.?,?\s+\d{4}",
    re.IGNORECASE,
)


def _year(text: str) -> int:
    y = int(text)
    # Two-digit years only occur in renderings of this century's footnotes ("8/28/13").
    return y + 2000 if len(text) == 2 else y


def parse_date(text: str | None) -> date | None:
    """Parse a date: ISO (with optional time-zone suffix), ``MM/DD/YYYY`` or ``Month D, YYYY``.

    Returns:
        The date, or ``None`` when the text is empty.

    Raises:
        ValueError: the text is not a date, or not a real one (``2021-02-30``).
    """
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    if len(raw) == 10 and raw[4] == "-":
        try:
            return date.fromisoformat(raw)  # the common EDGAR case, in C
        except ValueError:
            pass
    if m := _ISO_DATE.fullmatch(raw):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _US_DATE.fullmatch(raw):
        return date(_year(m[3]), int(m[1]), int(m[2]))
    if m := _NAMED_DATE.fullmatch(raw):
        return date(int(m[3]), _MONTHS[m[1].lower().rstrip(".")], int(m[2]))
    if m := _DAY_FIRST_DATE.fullmatch(raw):
        return date(int(m[3]), _MONTHS[m[2].lower().rstrip(".")], int(m[1]))
    raise ValueError(f"not a date: {text!r}")


# --- booleans, identifiers -------------------------------------------------------------------

_TRUE = frozenset({"1", "true", "y", "yes", "x"})
_FALSE = frozenset({"0", "false", "n", "no"})


def parse_bool(text: str | None) -> bool | None:
    """EDGAR booleans come as ``0/1`` and ``true/false`` (any case); empty is ``None``.

    Raises:
        ValueError: anything else.
    """
    if text is None:
        return None
    raw = text.strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"not a boolean: {text!r}")


_TICKER_PLACEHOLDERS = frozenset({"", "NONE", "N/A", "NA", "N.A.", "NULL", "-", "--", "0", "(NONE)"})


def normalise_ticker(text: str | None) -> str | None:
    """Upper-case a trading symbol; placeholders such as ``NONE``, ``N/A`` or empty become ``None``."""
    if text is None:
        return None
    # Internal spaces are kept ("LEN, LEN.B" names two classes); only runs are collapsed.
    raw = _WS.sub(" ", text).strip().upper()
    return None if raw in _TICKER_PLACEHOLDERS else raw


def normalise_cik(text: str | None) -> str | None:
    """Zero-pad a CIK to ten digits; ``None`` when empty.

    Raises:
        ValueError: not all digits, or longer than ten digits.
    """
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise ValueError(f"not a CIK: {text!r}")
    return raw.zfill(10)


# --- Rule 10b5-1 -----------------------------------------------------------------------------

# "10b5-1", "10b-5-1", "10b5 1", "10b5-1(c)", and the real-world typo "10b5-trading plan".
_10B51 = re.compile(
    r"10\s*b\s*[-\u2010-\u2014]?\s*5(?:\s*[-\u2010-\u2014\s]?\s*1|-(?=\s*[a-z]))", re.IGNORECASE
)
# Words that tie a trade to a plan rather than merely cite the rule.
_TIE = re.compile(
    r"pursuant\s+to|in\s+accordance\s+with|under\s+(?:a|an|the)\b|adopted|entered\s+into|established|"
    r"trading\s+(?:plan|program|arrangement)|sales?\s+plan|\bplan\b",
    re.IGNORECASE,
)
# "not pursuant to", "not made under", "outside of a ... plan": the footnote says it was NOT a plan trade.
_NEGATION = re.compile(
    r"\b(?:not|neither|nor)\s+(?:\w+\s+){0,4}?(?:pursuant|under|in\s+accordance|subject|part\s+of)|"
    r"\boutside\s+(?:of\s+)?(?:a|any|the)\b|\bno\s+(?:rule\s+)?10\s*b",
    re.IGNORECASE,
)
# Issue 11: "the plan was terminated", "expired", "cancelled": the trade is not a plan trade.
_ENDED = re.compile(r"\b(?:terminated|expired|cancell?ed|no\s+longer\s+in\s+effect)\b", re.IGNORECASE)
_OPEN_MARKET = ("P", "S")
"""The codes a filing-level statement (checkbox, remarks) can tie to a plan; not grants, not tax (F)."""
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z(])")
_PLAN_WORD = re.compile(r"\bplan\b|\bprogram\b", re.IGNORECASE)
# The date must follow the verb within the same sentence (no ". Capital" break, no newline).
_ADOPTION_DATE = re.compile(
    r"(?:adopted|entered\s+into|established|dated)\b"
    r"(?:(?!\.\s+[A-Z])[^;\n]){0,80}?\b(?:on|as\s+of|dated)?\s*(" + DATE_IN_TEXT.pattern + r")",
    re.IGNORECASE | re.DOTALL,
)


# Keyed by footnote texts (hundreds of bytes each): boilerplate repeats across an insider's filings.
# 1,024 recent ones keep 98% of 4,096's hits at a quarter of its memory (issue 12, goal 2).
_FOOTNOTES = 1024


@lru_cache(maxsize=_FOOTNOTES)
def mentions_10b5_1(text: str) -> bool:
    """Whether the text cites Rule 10b5-1 at all (tolerant of spelling)."""
    return _10B51.search(text) is not None


def _plan_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if _10B51.search(s)]


@lru_cache(maxsize=_FOOTNOTES)
def negates_10b5_1(text: str) -> bool:
    """Whether a sentence citing Rule 10b5-1 says the trade was *not* made under a plan."""
    return any(_NEGATION.search(s) or _ENDED.search(s) for s in _plan_sentences(text))


@lru_cache(maxsize=_FOOTNOTES)
def ties_to_10b5_1_plan(text: str) -> bool:
    """Whether the text ties a trade to a 10b5-1 plan ("effected pursuant to a Rule 10b5-1 plan").

    A bare citation of the rule, or a negated one ("not pursuant to a 10b5-1 plan"), does not count.
    """
    return any(
        _TIE.search(s) and not _NEGATION.search(s) and not _ENDED.search(s) for s in _plan_sentences(text)
    )


@lru_cache(maxsize=_FOOTNOTES)
def find_plan_adoption_date(text: str) -> date | None:
    """The plan adoption date stated in a 10b5-1 footnote ("adopted ... on August 28, 2013"), if any.

    Only a full day-month-year date counts: "adopted in June 2020" gives ``None`` rather than a guess.
    """
    if not mentions_10b5_1(text):
        return None
    for sentence in _SENTENCE.split(text):
        if not (_10B51.search(sentence) or _PLAN_WORD.search(sentence)):
            continue
        for m in _ADOPTION_DATE.finditer(sentence):
            try:
                return parse_date(m[1])
            except ValueError:
                continue
    return None


def plan_10b5_1(
    aff10b5_one: bool | None,
    footnote_texts: Iterable[str],
    *,
    remarks: str | None = None,
    code: str | None = None,
) -> tuple[bool | None, date | None]:
    """Decide one row's 10b5-1 status from the filing's checkbox, the row's footnotes and the remarks.

    Order of precedence, most specific first:

    1. the row's own footnotes: a tying footnote gives ``True``, an explicitly negating one ``False``
       (the checkbox is filing-level and cannot tell apart the lines of a mixed filing);
    2. the 10b5-1 checkbox (``aff10b5One``), when the filing has one;
    3. the remarks, when they tie the filing's trades to a plan ("All transactions were effected
       pursuant to a Rule 10b5-1 Trading Plan"); pre-2023 filings often say it only there;
    4. otherwise unknown, ``None``.

    The checkbox and the remarks speak for the whole filing: they mark only the rows they can apply to,
    open-market trades (``code`` P or S; any row when ``code`` is not given). A footnote saying the plan
    was terminated or expired, or that the trade was not made under it, never marks a row.

    Returns:
        ``(plan_10b5_1, plan_adoption_date)``.
    """
    tied = negated = False
    adoption: date | None = None
    for text in footnote_texts:
        if not mentions_10b5_1(text):
            continue
        if ties_to_10b5_1_plan(text):
            tied = True
            adoption = adoption or find_plan_adoption_date(text)
        elif negates_10b5_1(text):
            negated = True
    if tied:
        return True, adoption or (find_plan_adoption_date(remarks) if remarks else None)
    if negated:
        return False, None
    if code is not None and code not in _OPEN_MARKET:
        # An unticked box is true of every line; a ticked one says nothing of grants or withholding.
        return (False, None) if aff10b5_one is False else (None, None)
    remarks_tie = bool(remarks) and ties_to_10b5_1_plan(remarks or "")
    adoption = find_plan_adoption_date(remarks) if remarks_tie and remarks else None
    if aff10b5_one is not None:
        return aff10b5_one, adoption if aff10b5_one else None
    if remarks_tie:
        return True, adoption
    return None, None
