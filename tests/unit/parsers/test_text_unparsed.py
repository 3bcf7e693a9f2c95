"""Rows a text reader cannot read make the filing fail (``unparsed_rows``), never vanish.

These tests edit committed renderings (tests/fixtures/synthetic) the way an unseen renderer could
draw them, so they need neither the corpus nor any renderer installed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from parsers import parse
from parsers._text_flat import flat_rows
from parsers._text_guard import normalise_markers
from parsers.errors import UnparsedRows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "synthetic"
SALE = (FIXTURES / "form4_sale.w3m.txt").read_text(encoding="utf-8")


def test_the_fixture_reads_three_sales() -> None:
    """The baseline the edits below break."""
    rows = parse(SALE.encode(), hint="text").rows
    assert [(r.transaction_code, r.shares) for r in rows] == [
        ("S", Decimal("3370")),
        ("S", Decimal("24674")),
        ("S", Decimal("1932")),
    ]


def test_a_table_whose_data_rule_is_unknown_fails_with_its_lines() -> None:
    """Prevents the old failure: the reader finds no data rows, the filing parses with zero rows."""
    # An unseen box style: the rule under the header looks like the header's own rules.
    text = SALE.replace("├", "╞").replace("┼", "╪")
    with pytest.raises(UnparsedRows) as info:
        parse(text.encode(), hint="text")
    assert info.value.reason == "unparsed_rows"
    assert any("3,370" in line for line in info.value.lines)
    assert any("24,674" in line for line in info.value.lines)


def test_a_row_line_the_reader_skips_fails_the_filing() -> None:
    """Prevents one unreadable row line being dropped while the others are read."""
    lines = SALE.split("\n")
    k = next(i for i, line in enumerate(lines) if "24,674" in line)
    lines[k] = lines[k].replace("│", " ")  # the row lost its borders: the box reader cannot see it
    with pytest.raises(UnparsedRows) as info:
        parse("\n".join(lines).encode(), hint="text")
    assert [line for line in info.value.lines if "24,674" in line]
    assert "2 row(s) read" in str(info.value)


def test_flattened_rows_are_read_by_content() -> None:
    """Prevents lynx-style rows (no columns) being read by position: empty cells simply vanish."""
    lines = [
        normalise_markers("Class A Common Stock[1] 10/02/2015 S 1,664 D $635.5491(3) 14,474 D"),
        "Class C Capital Stock 21,169,379 I By Trust^(4)",
    ]
    first, second = flat_rows(lines, "non_derivative", "4")
    assert first.cells == {
        "title": "Class A Common Stock^(1)",
        "date": "10/02/2015",
        "code": "S",
        "amount": "1,664",
        "ad": "D",
        "price": "$635.5491^(3)",
        "following": "14,474",
        "di": "D",
    }
    assert second.cells == {
        "title": "Class C Capital Stock",
        "following": "21,169,379",
        "di": "I",
        "nature": "By Trust^(4)",
    }


def test_flattened_rows_that_split_two_ways_fail() -> None:
    """Prevents a guess when a nature of ownership could be the next row's title."""
    lines = ["Common Stock 500 I By Trust", "Common Stock 700 D"]
    assert len(flat_rows(lines, "non_derivative", "4")) == 2
    # A row starts on a new line, but is "Trust" the end of the first row's nature or the start of
    # the second row's title? Nothing on the page says.
    wrapped = ["Common Stock 500 I By", "Trust", "Common Stock 700 D"]
    with pytest.raises(UnparsedRows):
        flat_rows(wrapped, "non_derivative", "4")


def test_flattened_derivative_amount_without_a_direction_fails() -> None:
    """Prevents a Table II amount whose (A)/(D) column was lost being read with a guessed direction."""
    text = SALE.split("Table I - ")[0] + (
        "Table I - Non-Derivative Securities Acquired, Disposed of, or Beneficially Owned\n"
        "Code V Amount (A) or (D) Price\n"
        "Table II - Derivative Securities Acquired, Disposed of, or Beneficially Owned\n"
        "Code V (A) (D) Date Exercisable Expiration Date Title Amount or Number of Shares\n"
        "Stock Option $10.00 10/04/2022 G 100 ^(1) 10/04/2032 Common Stock 100 $0 100 D\n"
        "Explanation of Responses:\n"
    )
    with pytest.raises(UnparsedRows, match="acquired .A. or disposed of .D."):
        parse(text.encode(), hint="text")
    # An exercise always disposes of the derivative: that one is derived, and flagged.
    row = parse(text.replace(" G 100 ", " M 100 ").encode(), hint="text").rows[0]
    assert (row.acquired_disposed, row.derived_fields) == ("D", ("acquired_disposed",))
