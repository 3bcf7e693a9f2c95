"""Render a :class:`Filing` as the plain text ``w3m -dump -cols 200`` makes of EDGAR's HTML page.

Pure Python (users need no w3m): the header boxes, the checkbox squares, Tables I and II in box
drawing with the same columns as the HTML, ``^(n)`` footnote markers, the Explanation of Responses
and the signature block. The text carries no CIKs and no schema data, like the real dumps.
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal

from parsers.models import Filing, ReportingOwner, Row
from synthetic._boxes import Head, columns, table, wrap

_TITLES = {
    "3": "INITIAL STATEMENT OF BENEFICIAL OWNERSHIP OF SECURITIES",
    "4": "STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP",
    "5": "ANNUAL STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP",
}
_OMB = {"3": "3235-0104", "4": "3235-0287", "5": "3235-0362"}
_RULE = "━" * 62
_T1_WIDTHS = {
    "4": [60, 13, 12, 8, 7, 15, 10, 12, 20, 16, 14],
    "5": [60, 13, 12, 15, 15, 10, 12, 20, 16, 14],
    "3": [88, 40, 30, 40],
}
_T2_WIDTHS = {
    "4": [19, 12, 13, 12, 7, 7, 9, 9, 13, 12, 16, 12, 12, 14, 11, 12],
    "5": [19, 12, 13, 12, 14, 9, 9, 13, 12, 16, 12, 12, 14, 11, 12],
    "3": [61, 13, 12, 37, 12, 20, 20, 20],
}


def _num(value: Decimal | None) -> str:
    return "" if value is None else format(value, ",f")


def _day(value: date | None) -> str:
    return "" if value is None else f"{value:%m/%d/%Y}"


class _Text:
    def __init__(self, filing: Filing) -> None:
        self.filing = filing
        self.form = filing.form_type[:1]
        self.ids = {text: fid[1:] for fid, text in filing.footnotes.items()}

    def v(self, value: str, row: Row, field: str, dollar: bool = False) -> str:
        marks = "".join(f"^({self.ids[t]})" for t in row.footnotes.get(field, ()))
        return (f"${value}" if dollar and value else value) + marks

    def code(self, row: Row) -> str:
        text = (row.transaction_code or "") + ("(K)" if row.equity_swap else "")
        return self.v(text, row, "transaction_code")

    def t1(self, row: Row) -> list[str]:
        if self.form == "3":
            return [
                self.v(row.security_title or "", row, "security_title"),
                self.v(_num(row.shares_owned_following), row, "shares_owned_following"),
                self.v(row.direct_indirect or "", row, "direct_indirect"),
                self.v(row.nature_of_ownership or "", row, "nature_of_ownership"),
            ]
        cells = [
            self.v(row.security_title or "", row, "security_title"),
            self.v(_day(row.transaction_date), row, "transaction_date"),
            self.v(_day(row.deemed_execution_date), row, "deemed_execution_date"),
            self.code(row),
        ]
        if self.form == "4":
            cells.append("V" if row.timeliness == "E" else "")
        return cells + [
            self.v(_num(row.shares), row, "shares"),
            self.v(row.acquired_disposed or "", row, "acquired_disposed"),
            self.v(_num(row.price_per_share), row, "price_per_share", dollar=True),
            self.v(_num(row.shares_owned_following), row, "shares_owned_following"),
            self.v(row.direct_indirect or "", row, "direct_indirect"),
            self.v(row.nature_of_ownership or "", row, "nature_of_ownership"),
        ]

    def t2(self, row: Row) -> list[str]:
        under = _num(row.underlying_shares if row.underlying_shares is not None else row.underlying_value)
        conv = self.v(
            _num(row.conversion_or_exercise_price), row, "conversion_or_exercise_price", dollar=True
        )
        tail = [
            self.v(row.direct_indirect or "", row, "direct_indirect"),
            self.v(row.nature_of_ownership or "", row, "nature_of_ownership"),
        ]
        if self.form == "3":
            return [
                self.v(row.security_title or "", row, "security_title"),
                self.v(_day(row.exercise_date), row, "exercise_date"),
                self.v(_day(row.expiration_date), row, "expiration_date"),
                self.v(row.underlying_security_title or "", row, "underlying_security_title"),
                self.v(under, row, "underlying_shares"),
                conv,
                *tail,
            ]
        field = "total_value" if row.total_value is not None else "shares"
        amount = self.v(_num(row.shares if row.shares is not None else row.total_value), row, field)
        following = _num(
            row.shares_owned_following
            if row.shares_owned_following is not None
            else row.value_owned_following
        )
        cells = [
            self.v(row.security_title or "", row, "security_title"),
            conv,
            self.v(_day(row.transaction_date), row, "transaction_date"),
            self.v(_day(row.deemed_execution_date), row, "deemed_execution_date"),
            self.code(row),
        ]
        if self.form == "4":
            cells.append("V" if row.timeliness == "E" else "")
        return cells + [
            amount if row.acquired_disposed == "A" else "",
            amount if row.acquired_disposed == "D" else "",
            self.v(_day(row.exercise_date), row, "exercise_date"),
            self.v(_day(row.expiration_date), row, "expiration_date"),
            self.v(row.underlying_security_title or "", row, "underlying_security_title"),
            self.v(under, row, "underlying_shares"),
            self.v(_num(row.price_per_share), row, "price_per_share", dollar=True),
            self.v(following, row, "shares_owned_following"),
            *tail,
        ]

    # --- sections -----------------------------------------------------------------------------------

    def top(self) -> list[str]:
        f = self.filing
        lines = [
            f"SEC Form {self.form}",
            "",
            f"                 FORM {self.form}".ljust(60)
            + "UNITED STATES SECURITIES AND EXCHANGE COMMISSION".ljust(90)
            + f"OMB APPROVAL  OMB Number: {_OMB[self.form]}",
            " " * 74 + "Washington, D.C. 20549",
            "",
            " " * 64 + _TITLES[self.form],
            "",
            " " * 58 + "Filed pursuant to Section 16(a) of the Securities Exchange Act of 1934",
            " " * 64 + "or Section 30(h) of the Investment Company Act of 1940",
            "",
        ]
        boxes: list[tuple[bool | None, str]] = []
        if self.form != "3":
            boxes.append(
                (
                    f.not_subject_to_section16,
                    "Check this box if no longer subject to Section 16. Form 4 or "
                    "Form 5 obligations may continue. See Instruction 1(b).",
                )
            )
        if f.aff10b5_one is not None:
            boxes.append(
                (
                    f.aff10b5_one,
                    "Check this box to indicate that a transaction was made pursuant to a contract, "
                    "instruction or written plan for the purchase or sale of equity securities of the "
                    "issuer that is intended to satisfy the affirmative defense conditions of Rule "
                    "10b5-1(c). See Instruction 10.",
                )
            )
        for checked, label in boxes:
            text = textwrap.wrap(label, 36)
            square = ["┌──┐", "│X │" if checked else "│  │", "└──┘"]
            mid = max(0, len(text) // 2 - 1)
            for k, line in enumerate(text):
                pre = square[k - mid] if 0 <= k - mid < 3 else "    "
                lines.append(f"{pre}  {line}")
            lines += ["", ""]
        return lines

    def header(self) -> list[str]:
        f, first = self.filing, self.filing.owners[0]
        owner = _owner_lines(first)
        issuer = [
            ("3. " if self.form == "3" else "2. ") + "Issuer Name and Ticker or Trading Symbol",
            f"{f.issuer.name or ''} [ {f.issuer.ticker or 'NONE'} ]",
            "",
        ]
        box3 = {
            "3": "2. Date of Event Requiring Statement (Month/Day/Year)",
            "5": "3. Statement for Issuer's Fiscal Year Ended (Month/Day/Year)",
        }.get(self.form, "3. Date of Earliest Transaction (Month/Day/Year)")
        when = [box3, _day(f.period_of_report), ""]
        amend = [
            ("5. " if self.form == "3" else "4. ") + "If Amendment, Date of Original Filed (Month/Day/Year)",
            _day(f.date_of_original_submission),
            "",
        ]
        rel = _relationship(first, 4 if self.form == "3" else 5)
        joint = [
            "6. Individual or Joint/Group Filing (Check Applicable Line)",
            "",
            ("   X     " if len(f.owners) == 1 else "         ") + "Form filed by One Reporting Person",
            ("   X     " if len(f.owners) > 1 else "         ")
            + "Form filed by More than One Reporting Person",
            "",
        ]
        issuer, when, amend = _fit(issuer, 66), _fit(when, 66), _fit(amend, 66)
        rel, joint, owner = _fit(rel, 57), _fit(joint, 57), _fit(owner, 66)
        top = len(issuer) + 1 + len(when)
        col2 = issuer + ["\x00"] + when
        col3 = rel + [""] * (top - len(rel))
        col2 += [""] * (len(col3) - len(col2))
        col3 += [""] * (len(col2) - len(col3))
        col2 += ["\x00"] + amend
        col3 += ["\x00"] + joint
        height = max(len(owner), len(col2), len(col3))
        for col in (owner, col2, col3):
            col += [""] * (height - len(col))
        return columns([owner, col2, col3], [68, 68, 59])

    def tables(self) -> list[str]:
        f, form = self.filing, self.form
        t1 = [self.t1(r) for r in f.rows if r.table == "non_derivative"]
        t2 = [self.t2(r) for r in f.rows if r.table == "derivative"]
        if form == "3":
            h1 = [
                Head("1. Title of Security (Instr. 4)"),
                Head("2. Amount of Securities Beneficially Owned (Instr. 4)"),
                Head("3. Ownership Form: Direct (D) or Indirect (I) (Instr. 5)"),
                Head("4. Nature of Indirect Beneficial Ownership (Instr. 5)"),
            ]
            out = table(
                ["Table I - Non-Derivative Securities Beneficially Owned"],
                h1,
                [],
                _T1_WIDTHS["3"],
                t1,
                ["left", "center", "center", "left"],
            )
            h2 = [
                Head("1. Title of Derivative Security (Instr. 4)"),
                Head("2. Date Exercisable and Expiration Date (Month/Day/Year)", 2, False),
                Head("3. Title and Amount of Securities Underlying Derivative Security (Instr. 4)", 2, False),
                Head("4. Conversion or Exercise Price of Derivative Security"),
                Head("5. Ownership Form: Direct (D) or Indirect (I) (Instr. 5)"),
                Head("6. Nature of Indirect Beneficial Ownership (Instr. 5)"),
            ]
            subs = ["Date Exercisable", "Expiration Date", "Title", "Amount or Number of Shares"]
            return out + table(
                [
                    "Table II - Derivative Securities Beneficially Owned",
                    "(e.g., puts, calls, warrants, options, convertible securities)",
                ],
                h2,
                subs,
                _T2_WIDTHS["3"],
                t2,
                ["left"] + ["center"] * 6 + ["left"],
            )
        four = form == "4"
        following = (
            "Amount of Securities Beneficially Owned Following Reported Transaction(s) (Instr. 3 and 4)"
            if four
            else "Amount of Securities Beneficially Owned at end of Issuer's Fiscal Year (Instr. 3 and 4)"
        )
        code = (
            Head("3. Transaction Code (Instr. 8)", 2, False)
            if four
            else Head("3. Transaction Code (Instr. 8)")
        )
        h1 = [
            Head("1. Title of Security (Instr. 3)"),
            Head("2. Transaction Date (Month/Day/Year)"),
            Head("2A. Deemed Execution Date, if any (Month/Day/Year)"),
            code,
            Head("4. Securities Acquired (A) or Disposed Of (D) (Instr. 3, 4 and 5)", 3, False),
            Head(f"5. {following}"),
            Head("6. Ownership Form: Direct (D) or Indirect (I) (Instr. 4)"),
            Head("7. Nature of Indirect Beneficial Ownership (Instr. 4)"),
        ]
        subs1 = (["Code", "V"] if four else []) + ["Amount", "(A) or (D)", "Price"]
        out = table(
            ["Table I - Non-Derivative Securities Acquired, Disposed of, or Beneficially Owned"],
            h1,
            subs1,
            _T1_WIDTHS[form],
            t1,
            ["left"] + ["center"] * (len(_T1_WIDTHS[form]) - 2) + ["left"],
        )
        code2 = (
            Head("4. Transaction Code (Instr. 8)", 2, False)
            if four
            else Head("4. Transaction Code (Instr. 8)")
        )
        h2 = [
            Head("1. Title of Derivative Security (Instr. 3)"),
            Head("2. Conversion or Exercise Price of Derivative Security"),
            Head("3. Transaction Date (Month/Day/Year)"),
            Head("3A. Deemed Execution Date, if any (Month/Day/Year)"),
            code2,
            Head(
                "5. Number of Derivative Securities Acquired (A) or Disposed of (D) (Instr. 3, 4 and 5)",
                2,
                False,
            ),
            Head("6. Date Exercisable and Expiration Date (Month/Day/Year)", 2, False),
            Head(
                "7. Title and Amount of Securities Underlying Derivative Security (Instr. 3 and 4)", 2, False
            ),
            Head("8. Price of Derivative Security (Instr. 5)"),
            Head(
                "9. Number of derivative Securities Beneficially Owned Following Reported Transaction(s) "
                "(Instr. 4)"
            ),
            Head("10. Ownership Form: Direct (D) or Indirect (I) (Instr. 4)"),
            Head("11. Nature of Indirect Beneficial Ownership (Instr. 4)"),
        ]
        subs2 = (["Code", "V"] if four else []) + [
            "(A)",
            "(D)",
            "Date Exercisable",
            "Expiration Date",
            "Title",
            "Amount or Number of Shares",
        ]
        return out + table(
            [
                "Table II - Derivative Securities Acquired, Disposed of, or Beneficially Owned",
                "(e.g., puts, calls, warrants, options, convertible securities)",
            ],
            h2,
            subs2,
            _T2_WIDTHS[form],
            t2,
            ["left"] + ["center"] * (len(_T2_WIDTHS[form]) - 2) + ["left"],
        )

    def tail(self) -> list[str]:
        f = self.filing
        out: list[str] = []
        if len(f.owners) > 1:
            for owner in f.owners:
                out += columns([_owner_lines(owner)], [77])
        out += ["", "Explanation of Responses:"]
        for fid, text in f.footnotes.items():
            out += textwrap.wrap(f"{fid[1:]}. {text}", 200) + [""]
        if f.remarks:
            out += ["Remarks:"] + textwrap.wrap(f.remarks, 200) + [""]
        out.append("")
        for sig in f.signatures:
            name = wrap(sig.name, 40)
            out.append(" " * 119 + name[0].ljust(41) + _day(sig.date))
            out += [" " * 119 + extra for extra in name[1:]]
            out += [" " * 119 + "** Signature of Reporting Person         Date", ""]
        out += [
            "Reminder: Report on a separate line for each class of securities beneficially owned directly or "
            "indirectly.",
            "* If the form is filed by more than one reporting person, see Instruction 4 (b)(v).",
            "** Intentional misstatements or omissions of facts constitute Federal Criminal Violations "
            "See 18 U.S.C. 1001 and 15 U.S.C. 78ff(a).",
            "Note: File three copies of this Form, one of which must be manually signed. "
            "If space is insufficient, see Instruction 6 for procedure.",
            "Persons who respond to the collection of information contained in this form are not required to "
            "respond unless the form displays a currently valid OMB Number.",
            "",
        ]
        return out


def _fit(lines: list[str], width: int) -> list[str]:
    """Wrap the over-long lines of a header column (separators, marked by NUL, stay as they are)."""
    out: list[str] = []
    for line in lines:
        out += [line] if line == "\x00" or len(line) <= width else wrap(line, width)
    return out


def _owner_lines(owner: ReportingOwner) -> list[str]:
    a = owner.address
    streets = [s for s in ((a.street1, a.street2) if a else ()) if s]
    city = (
        ""
        if a is None
        else f"{(a.city or '').ljust(22)} {(a.state or '').ljust(21)} {a.zip_code or ''}".rstrip()
    )
    return (
        ["1. Name and Address of Reporting Person^*", ""]
        + wrap(owner.name, 64)
        + ["", " " + _RULE, "", "(Last)                (First)               (Middle)", ""]
        + streets
        + [
            "",
            _RULE,
            "(Street)",
            "",
            city,
            "",
            " " + _RULE,
            "",
            "(City)                (State)                (Zip)",
        ]
    )


def _relationship(owner: ReportingOwner, number: int) -> list[str]:
    def x(flag: bool) -> str:
        return "    X     " if flag else "          "

    # As w3m lays out the four checkbox cells: the right pair starts at column 39.
    lines = [
        f"{number}. Relationship of Reporting Person(s) to Issuer",
        "(Check all applicable)",
        "",
        f"{x(owner.is_director)}Director".ljust(29) + f"{x(owner.is_ten_percent_owner)}10% Owner",
        f"{x(owner.is_officer)}Officer (give title".ljust(29) + f"{x(owner.is_other)}Other (specify",
        "          below)".ljust(29) + "          below)",
    ]
    title = wrap(owner.officer_title or "", 24)
    other = wrap(owner.other_text or "", 20)
    for k in range(max(len(title), len(other))):
        left = title[k] if k < len(title) else ""
        right = other[k] if k < len(other) else ""
        lines.append((("          " + left).ljust(29) + ("          " + right if right else "")).rstrip())
    return lines


def render_text(filing: Filing) -> bytes:
    """The plain-text rendering of the filing's HTML page, as ``w3m -dump -cols 200`` lays it out."""
    page = _Text(filing)
    lines = page.top() + page.header() + page.tables() + page.tail()
    return ("\n".join(line.rstrip() for line in lines) + "\n").encode("utf-8")


__all__ = ["render_text"]
