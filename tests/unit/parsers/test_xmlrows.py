"""``trusted_constructor`` builds the same ``Row`` as pydantic's ``model_construct`` and full validation.

The XML parser builds rows with it because ``Row.model_construct`` costs about 3x more per row (timeit
on a synthetic batch of 1,000 filings / 1,908 rows: ~5-9 us a row against ~20-27 us, 20-40% of the
whole parse). It writes pydantic's instance slots itself, so these tests pin it to pydantic's own
constructors on every row of a synthetic batch: a pydantic upgrade that changes those slots fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

import parsers._xmlrows as xmlrows
from parsers import parse
from parsers.models import Row
from synthetic.batch import iter_raw


@pytest.fixture(scope="module")
def row_kwargs() -> list[dict[str, Any]]:
    """The keyword arguments the XML parser passes for each row of a synthetic batch."""
    calls: list[dict[str, Any]] = []
    real = xmlrows._new_row

    def record(**values: Any) -> Row:
        calls.append(values)
        return real(**values)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xmlrows, "_new_row", record)
        for _, raw in iter_raw(seed=8, n=300, fmt="xml"):
            parse(raw, hint="xml")
    assert len(calls) > 300  # a batch of 300 filings has more rows than filings
    return calls


def _slots(row: Row) -> tuple[object, ...]:
    return (
        type(row),
        list(row.__dict__.items()),  # field order matters: model_dump and repr follow it
        row.model_fields_set,
        row.__pydantic_extra__,
        row.__pydantic_private__,
    )


def test_same_instance_as_model_construct_and_validation(row_kwargs: list[dict[str, Any]]) -> None:
    """On every row: the same fields in the same order, fields set, extra and private slots."""
    build = xmlrows.trusted_constructor(Row)
    for values in row_kwargs:
        row = build(**values)
        assert _slots(row) == _slots(Row.model_construct(**values)), values
        assert _slots(row) == _slots(Row.model_validate(values)), values
        assert row.model_dump_json() == Row.model_validate(values).model_dump_json()


def test_the_parser_uses_it_and_covers_both_tables(row_kwargs: list[dict[str, Any]]) -> None:
    """The batch reaches Table I and II rows, holdings and transactions, with and without footnotes."""
    assert {v["table"] for v in row_kwargs} == {"non_derivative", "derivative"}
    assert {v["is_holding"] for v in row_kwargs} == {True, False}
    assert any(v["footnotes"] for v in row_kwargs) and any(not v["footnotes"] for v in row_kwargs)


def test_mutable_defaults_are_not_shared() -> None:
    """A default ``footnotes`` dict is a copy per row, as model_construct gives."""
    build = xmlrows.trusted_constructor(Row)
    first = build(table="derivative", index=0, is_holding=True)
    second = build(table="derivative", index=1, is_holding=True)
    assert first.footnotes == {} and first.footnotes is not second.footnotes
    assert first.footnotes is not Row.model_fields["footnotes"].default


def test_missing_and_unknown_fields_are_refused() -> None:
    """Unlike model_construct, a missing required field or an unknown one raises, naming it."""
    build = xmlrows.trusted_constructor(Row)
    with pytest.raises(TypeError, match="missing.*is_holding"):
        build(table="derivative", index=0)
    with pytest.raises(TypeError, match="unknown fields.*colour"):
        build(table="derivative", index=0, is_holding=True, colour="red")
