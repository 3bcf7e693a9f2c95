"""Render a :class:`Filing` the way EDGAR's ``xslF345X05`` stylesheet renders the XML as HTML.

Same boxes, same table structure and column order as the real pages (Form 4: 11 + 16 columns;
Form 5: 10 + 15, no "V"; Form 3: 4 + 8), footnote superscripts ``<sup>(n)</sup>`` after values,
"X" marks in checkboxes, ``[ TICKER ]``, and the Explanation of Responses. EDGAR's K suffix is
written into the code cell (``J(K)``); an early (V) line gets "V" in the V column.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape

from parsers.models import Filing, ReportingOwner, Row
from synthetic import _html_parts as parts


def _esc(text: str | None) -> str:
    return escape(text or "", quote=False)


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value, ",f")


def _day(value: date | None) -> str:
    return "" if value is None else f"{value:%m/%d/%Y}"


class _Page:
    def __init__(self, filing: Filing) -> None:
        self.filing = filing
        self.form = filing.form_type[:1]
        self.ids = {text: fid[1:] for fid, text in filing.footnotes.items()}
        self.out: list[str] = []

    def sups(self, row: Row, field: str) -> str:
        return "".join(
            f'<span class="FootnoteData"><sup>({self.ids[t]})</sup></span>'
            for t in row.footnotes.get(field, ())
        )

    def cell(
        self,
        value: str,
        row: Row | None = None,
        field: str = "",
        *,
        cls: str = "FormData",
        align: str = "center",
        dollar: bool = False,
    ) -> str:
        sups = self.sups(row, field) if row is not None and field else ""
        if not value and not sups:
            return f'<td align="{align}"></td>'
        if not value:
            # A footnote-only value: EDGAR leaves an empty data span before the superscript.
            return f'<td align="{align}">\n<span class="{cls}">\n            </span>{sups}\n</td>'
        money = (
            f'<span class="{"SmallFormText" if cls == "SmallFormData" else "FormText"}">$</span>'
            if dollar
            else ""
        )
        body = f'{money}<span class="{cls}">{value}</span>{sups}'
        return (
            f'<td align="{align}">{body}</td>'
            if not (money or sups)
            else f'<td align="{align}">\n{body}\n</td>'
        )

    def code(self, row: Row, cls: str) -> str:
        if row.transaction_code is None:
            return self.cell("", row, "transaction_code")
        text = row.transaction_code + ("(K)" if row.equity_swap else "")
        return self.cell(text, row, "transaction_code", cls=cls)

    # --- tables ---------------------------------------------------------------------------------------

    def table1_row(self, row: Row) -> str:
        f = self.form
        if f == "3":
            cells = [
                self.cell(_esc(row.security_title), row, "security_title", align="left"),
                self.cell(_num(row.shares_owned_following), row, "shares_owned_following"),
                self.cell(row.direct_indirect or "", row, "direct_indirect"),
                self.cell(_esc(row.nature_of_ownership), row, "nature_of_ownership", align="left"),
            ]
            return "<tr>\n" + "\n".join(cells) + "\n</tr>"
        code_cls = "FormData" if f == "5" else "SmallFormData"
        cells = [
            self.cell(_esc(row.security_title), row, "security_title", align="left"),
            self.cell(_day(row.transaction_date), row, "transaction_date"),
            self.cell(_day(row.deemed_execution_date), row, "deemed_execution_date"),
            self.code(row, code_cls),
        ]
        if f == "4":
            cells.append(self.cell("V" if row.timeliness == "E" else "", cls="SmallFormData"))
        price = "" if row.price_per_share is None else _num(row.price_per_share)
        cells += [
            self.cell(_num(row.shares), row, "shares"),
            self.cell(row.acquired_disposed or "", row, "acquired_disposed"),
            self.cell(price, row, "price_per_share", dollar=bool(price)),
            self.cell(_num(row.shares_owned_following), row, "shares_owned_following"),
            self.cell(row.direct_indirect or "", row, "direct_indirect"),
            self.cell(_esc(row.nature_of_ownership), row, "nature_of_ownership", align="left"),
        ]
        return "<tr>\n" + "\n".join(cells) + "\n</tr>"

    def table2_row(self, row: Row) -> str:
        f, s = self.form, "SmallFormData"
        conv = _num(row.conversion_or_exercise_price)
        conv_cell = self.cell(
            conv, row, "conversion_or_exercise_price", cls=s if f != "3" else "FormData", dollar=bool(conv)
        )
        under = _num(row.underlying_shares if row.underlying_shares is not None else row.underlying_value)
        following = _num(
            row.shares_owned_following
            if row.shares_owned_following is not None
            else row.value_owned_following
        )
        if f == "3":
            cells = [
                self.cell(_esc(row.security_title), row, "security_title", align="left"),
                self.cell(_day(row.exercise_date), row, "exercise_date", cls=s),
                self.cell(_day(row.expiration_date), row, "expiration_date", cls=s),
                self.cell(_esc(row.underlying_security_title), row, "underlying_security_title"),
                self.cell(under, row, "underlying_shares"),
                conv_cell,
                self.cell(row.direct_indirect or "", row, "direct_indirect"),
                self.cell(_esc(row.nature_of_ownership), row, "nature_of_ownership", align="left"),
            ]
            return "<tr>\n" + "\n".join(cells) + "\n</tr>"
        amount = _num(row.shares if row.shares is not None else row.total_value)
        field = "shares" if row.shares is not None or row.total_value is None else "total_value"
        a_cell = self.cell(
            amount if row.acquired_disposed == "A" else "",
            row if row.acquired_disposed == "A" else None,
            field,
            cls=s,
        )
        d_cell = self.cell(
            amount if row.acquired_disposed == "D" else "",
            row if row.acquired_disposed == "D" else None,
            field,
            cls=s,
        )
        price = "" if row.price_per_share is None else _num(row.price_per_share)
        cells = [
            self.cell(_esc(row.security_title), row, "security_title", cls=s, align="left"),
            conv_cell,
            self.cell(_day(row.transaction_date), row, "transaction_date", cls=s),
            self.cell(_day(row.deemed_execution_date), row, "deemed_execution_date", cls=s),
            self.code(row, s),
        ]
        if f == "4":
            cells.append(self.cell("V" if row.timeliness == "E" else "", cls=s))
        cells += [
            a_cell,
            d_cell,
            self.cell(_day(row.exercise_date), row, "exercise_date", cls=s),
            self.cell(_day(row.expiration_date), row, "expiration_date", cls=s),
            self.cell(_esc(row.underlying_security_title), row, "underlying_security_title", cls=s),
            self.cell(under, row, "underlying_shares"),
            self.cell(price, row, "price_per_share", cls=s, dollar=bool(price)),
            self.cell(following, row, "shares_owned_following", cls=s),
            self.cell(row.direct_indirect or "", row, "direct_indirect", cls=s),
            self.cell(_esc(row.nature_of_ownership), row, "nature_of_ownership", cls=s, align="left"),
        ]
        return "<tr>\n" + "\n".join(cells) + "\n</tr>"

    # --- page -----------------------------------------------------------------------------------------

    def render(self) -> str:
        filing, f = self.filing, self.form
        first = filing.owners[0]
        out = self.out
        out.append(parts.head(f))
        out.append(parts.top_box(f, filing.not_subject_to_section16, filing.aff10b5_one))
        out.append(parts.owner_box(first, f))
        out.append(
            parts.issuer_and_dates(
                filing, first, _day(filing.period_of_report), _day(filing.date_of_original_submission)
            )
        )
        t1 = [self.table1_row(r) for r in filing.rows if r.table == "non_derivative"]
        t2 = [self.table2_row(r) for r in filing.rows if r.table == "derivative"]
        out.append(
            parts.table1_head(f)
            + ("<tbody>\n" + "\n".join(t1) + "\n</tbody>\n</table>" if t1 else "</thead></table>")
        )
        out.append(
            parts.table2_head(f)
            + ("<tbody>\n" + "\n".join(t2) + "\n</tbody>\n</table>" if t2 else "</thead></table>")
        )
        if len(filing.owners) > 1:
            out.append(self.joint(filing.owners))
        out.append(self.explanation())
        out.append(parts.signatures(filing.signatures))
        return "\n".join(out)

    def joint(self, owners: tuple[ReportingOwner, ...]) -> str:
        cells = [f'<tr><td valign="top">\n{parts.owner_block(o)}\n</td></tr>' for o in owners]
        return (
            '<table width="40%" border="1" cellspacing="0" cellpadding="4">\n'
            + "\n".join(cells)
            + "\n</table>"
        )

    def explanation(self) -> str:
        rows = [
            '<table border="0" width="100%">',
            '<tr><td class="MedSmallFormText"><b>Explanation of Responses:</b></td></tr>',
        ]
        rows += [
            f'<tr><td class="FootnoteData">{fid[1:]}. {_esc(text)}</td></tr>'
            for fid, text in self.filing.footnotes.items()
        ]
        if self.filing.remarks:
            rows += [
                '<tr><td class="FormText"><b>Remarks:</b></td></tr>',
                f'<tr><td class="FootnoteData">{_esc(self.filing.remarks)}</td></tr>',
            ]
        return "\n".join(rows) + "\n</table>"


def render_html(filing: Filing) -> bytes:
    """The HTML page EDGAR shows for the filing (``xslF345X05/form4.xml``)."""
    return _Page(filing).render().encode("utf-8")


__all__ = ["render_html"]
