"""Implausible amounts are refused with reason ``implausible_value``, in every format, and only those.

The bounds (``parsers._values``) must never reject a real filing (the whole corpus) nor a generated one,
and a number whose text alone would blow up Decimal arithmetic (``1e999999999``) is refused from its
text, before any arithmetic.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from parsers import ParseError, parse
from parsers._values import MAX_AMOUNT, MAX_PRICE, parse_decimal
from parsers.errors import REASONS, ImplausibleValue
from parsers.models import Filing, SourceFormat
from synthetic import scenarios
from synthetic.batch import RENDERERS, iter_raw
from tests.support.corpus import manifest

_XML_SALE = scenarios.ceo_large_sale()


def _with_sale(**values: Decimal) -> Filing:
    row = _XML_SALE.rows[0].model_copy(update=values)
    return _XML_SALE.model_copy(update={"rows": (row, *_XML_SALE.rows[1:])})


def _reason(content: bytes) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(content)
    return info.value


def test_reason_code_is_registered() -> None:
    """The dead-letter reason must be one of the published codes."""
    assert "implausible_value" in REASONS
    assert ImplausibleValue("x").reason == "implausible_value"


@pytest.mark.parametrize(
    "text",
    [
        "1e999999999",
        "1E+999999999",
        "1e-999999999",
        "0e999999999",
        "1" * 30,
        "9" * 16,
        "1" * 5000,
        "1,000,000,000,000,000,000,000,000,000",
        "0.00000000001",
        "0.00000000000",
        f"  {'1' * 41}  ",
    ],
)
def test_parse_decimal_refuses_absurd_shapes(text: str) -> None:
    """Huge exponents, 16+ integer digits, below 1e-10, 41+ characters: refused on the text's shape."""
    with pytest.raises(ImplausibleValue) as info:
        parse_decimal(text)
    assert info.value.reason == "implausible_value"
    # The message quotes the text, but never all of a very long one.
    assert len(str(info.value)) < 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("999999999999999", Decimal("999999999999999")),
        ("999,999,999,999.9999", Decimal("999999999999.9999")),
        ("0.0000000001", Decimal("0.0000000001")),
        ("1.00000000000000000001", Decimal("1.00000000000000000001")),
        ("\n        1381\n      ", Decimal("1381")),
        ("(1,000)", Decimal("-1000")),  # accounting style; check_plausible refuses it on a row
    ],
)
def test_parse_decimal_keeps_plausible_shapes(text: str, expected: Decimal) -> None:
    """Numbers within the bounds, padded or separated, parse exactly."""
    assert parse_decimal(text) == expected


def test_junk_is_still_not_a_number() -> None:
    """A long text that is not a number stays a plain ValueError (the format's own reason)."""
    with pytest.raises(ValueError) as info:
        parse_decimal("x" * 100)
    assert not isinstance(info.value, ImplausibleValue)


def _xml_with_shares(text: str) -> bytes:
    raw = RENDERERS["xml"](_XML_SALE)
    shares = f"<value>{_XML_SALE.rows[0].shares}</value>".encode()
    assert shares in raw
    return raw.replace(shares, f"<value>{text}</value>".encode(), 1)


@pytest.mark.parametrize("text", ["1e999999999", "1" * 30, "-500", "1000000000000000"])
def test_xml_refuses_implausible_shares_with_the_element(text: str) -> None:
    """In XML the error names the element, or the row and field, the value was in."""
    error = _reason(_xml_with_shares(text))
    assert error.reason == "implausible_value", error
    # The shape is checked at the element, the sign and bound on the built row.
    assert error.where is not None, error
    assert error.where.endswith("transactionShares/value") or error.where == "non_derivative row 0: shares"


@pytest.mark.parametrize("fmt", ["xml", "submission", "html", "text"])
@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"shares": Decimal("1" * 30)}, "shares"),
        ({"shares": Decimal(-5000)}, "shares"),
        ({"price_per_share": MAX_PRICE * 10}, "price_per_share"),
        ({"shares_owned_following": MAX_AMOUNT}, "shares_owned_following"),
    ],
    ids=["30-digit-shares", "negative-shares", "absurd-price", "holding-at-bound"],
)
def test_every_format_refuses_implausible_amounts(
    fmt: SourceFormat, update: dict[str, Decimal], field: str
) -> None:
    """The same absurd amount is refused in all four formats, with the place it was found."""
    error = _reason(RENDERERS[fmt](_with_sale(**update)))
    assert error.reason == "implausible_value", error
    assert error.where, error


def test_bounds_leave_the_generated_stream_alone() -> None:
    """No generated filing, in any format, trips a bound (they are far above real values)."""
    for fmt in RENDERERS:
        for _filing, raw in iter_raw(13, 60, fmt):
            parse(raw)
    for make in (scenarios.ceo_large_sale, scenarios.director_30pct_sale, scenarios.liquidation_to_zero):
        for fmt in RENDERERS:
            parse(RENDERERS[fmt](make()))


def test_bounds_reject_no_real_filing(corpus: Path) -> None:
    """The whole real corpus parses as before: no file is refused as implausible."""
    refused = []
    for row in manifest():
        if not row.path.is_file():
            continue
        try:
            parse(row.path.read_bytes())
        except ParseError as error:
            if error.reason == "implausible_value":
                refused.append(f"{row.local_name}: {error}")
    assert refused == []
