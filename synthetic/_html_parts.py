"""The fixed parts of EDGAR's ownership-form HTML page (boxes, table heads, signature block).

Kept apart from :mod:`synthetic.render_html` so that the renderer reads as data -> cells.
The markup follows the real ``xslF345X05`` output: widths, classes and label texts included,
since parsers written against the real pages key on them.
"""

from __future__ import annotations

from html import escape

from parsers.models import Filing, ReportingOwner, Signature

_TITLES = {
    "3": "INITIAL STATEMENT OF BENEFICIAL OWNERSHIP OF SECURITIES",
    "4": "STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP",
    "5": "ANNUAL STATEMENT OF CHANGES IN BENEFICIAL OWNERSHIP",
}
_OMB = {"3": ("3235-0104", "0.5"), "4": ("3235-0287", "0.5"), "5": ("3235-0362", "1.0")}
_STYLE = """<style type="text/css">
              .FormData {color: blue; background-color: white; font-size: small; font-family: Times, serif;}
              .FormDataC {color: blue; background-color: white; font-size: small; font-family: Times, serif; text-align: center;}
              .SmallFormData {color: blue; background-color: white; font-size: x-small; font-family: Times, serif;}
              .FootnoteData {color: green; background-color: white; font-size: x-small; font-family: Times, serif;}
              .FormText {font-size: small; font-weight: normal; font-family: arial, helvetica, sans-serif; text-align: left;}
              .FormTextC {font-size: small; font-weight: normal; font-family: arial, helvetica, sans-serif; text-align: center;}
              .SmallFormText {font-size: xx-small; font-family: arial, helvetica, sans-serif; text-align: left;}
              .SmallFormTextR {font-size: xx-small; font-family: arial, helvetica, sans-serif; text-align: right;}
              .MedSmallFormText {font-size: x-small; font-family: arial, helvetica, sans-serif; text-align: left;}
              .FormTitle {font-size: medium; font-family: arial, helvetica, sans-serif; font-weight: bold;}
              .FormName {font-size: large; font-family: arial, helvetica, sans-serif; font-weight: bold;}
              body {background: white;}
      </style>"""


def _e(text: str | None) -> str:
    return escape(text or "", quote=False)


def _box(checked: bool | None) -> str:
    mark = "X" if checked else "  "
    return f'<td><table width="100%" border="1" cellpadding="0" cellspacing="0"><tr><td>{mark}</td></tr></table></td>'


def head(form: str) -> str:
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n'
        '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n'
        f"<title>SEC FORM\n            {form}</title>\n{_STYLE}\n</head>\n<body>SEC Form {form}"
    )


def top_box(form: str, not_subject: bool | None, aff: bool | None) -> str:
    checks: list[tuple[bool | None, str]] = []
    if form != "3":
        checks.append(
            (
                not_subject,
                "Check this box if no longer subject to Section 16. Form 4 or Form 5 obligations "
                "may continue. \n         <i>See</i>\n         Instruction 1(b).",
            )
        )
    if form == "5":
        checks += [(False, "Form 3 Holdings Reported."), (False, "Form 4 Transactions Reported.")]
    if aff is not None:
        checks.append(
            (
                aff,
                "Check this box to indicate that a transaction was made pursuant to a contract, instruction "
                "or written plan for the purchase or sale of equity securities of the issuer that is intended "
                "to satisfy the affirmative defense conditions of Rule 10b5-1(c). See Instruction 10. ",
            )
        )
    span = 1 if form == "3" else len(checks) + 1
    omb, hours = _OMB[form]
    out = [
        '   <table width="100%" border="0" cellspacing="0" cellpadding="4">',
        "<tr>",
        f'<td width="20%" colspan="2" valign="top" align="center" class="FormName">FORM {form}</td>',
        f'<td rowspan="{span}" width="60%" valign="middle" align="center">',
        f'<span class="FormTitle">UNITED STATES SECURITIES AND EXCHANGE COMMISSION</span><br><span class="MedSmallFormText">'
        f'Washington, D.C. 20549</span><br><br><span class="FormTitle">{_TITLES[form]}</span><br><br>'
        '<span class="MedSmallFormText">Filed pursuant to Section 16(a) of the Securities Exchange Act of 1934</span><br>'
        '<span class="MedSmallFormText">or Section 30(h) of the Investment Company Act of 1940</span>',
        "</td>",
        f'<td rowspan="{span}" width="20%" valign="top" align="center"><table width="100%" border="1" summary="OMB Approval Status Box">',
        '<tr><td class="FormTextC">OMB APPROVAL</td></tr>',
        '<tr><td><table width="100%" border="0" summary="OMB Interior Box">',
        f'<tr>\n<td class="SmallFormText" colspan="3">OMB Number:</td>\n<td class="SmallFormTextR">{omb}</td>\n</tr>',
        '<tr><td class="SmallFormText" colspan="4">Estimated average burden</td></tr>',
        f'<tr>\n<td class="SmallFormText" colspan="3">hours per response:</td>\n<td class="SmallFormTextR">{hours}</td>\n</tr>',
        "</table></td></tr>",
        "</table></td>",
        "</tr>",
    ]
    for checked, label in checks:
        out.append(f'<tr valign="middle">\n{_box(checked)}\n<td class="SmallFormText">{label}</td>\n</tr>')
    out.append("</table>")
    return "\n".join(out)


def owner_block(owner: ReportingOwner) -> str:
    a = owner.address
    street1, street2 = (a.street1, a.street2) if a else (None, None)
    city, state, zip_code = (a.city, a.state, a.zip_code) if a else (None, None, None)
    return (
        '<span class="MedSmallFormText">1. Name and Address of Reporting Person<sup>*</sup></span>'
        f'<table border="0" width="100%"><tr><td><a href="/cgi-bin/browse-edgar?action=getcompany&amp;CIK={owner.cik or ""}">'
        f'{_e(owner.name)}</a></td></tr></table>\n<hr width="98%">\n'
        '<table border="0" width="100%"><tr>\n<td width="33%" class="MedSmallFormText">(Last)</td>\n'
        '<td width="33%" class="MedSmallFormText">(First)</td>\n<td width="33%" class="MedSmallFormText">(Middle)</td>\n</tr></table>\n'
        '<table border="0" width="100%">\n'
        f'<tr><td><span class="FormData">{_e(street1)}</span></td></tr>\n'
        f'<tr><td><span class="FormData">{_e(street2)}</span></td></tr>\n</table>\n<hr width="98%">\n'
        '<span class="MedSmallFormText">(Street)</span><table border="0" width="100%"><tr>\n'
        f'<td width="33%"><span class="FormData">{_e(city)}</span></td>\n'
        f'<td width="33%"><span class="FormData">{_e(state)}</span></td>\n'
        f'<td width="33%"><span class="FormData">{_e(zip_code)}</span></td>\n</tr></table>\n<hr width="98%">\n'
        '<table border="0" width="100%"><tr>\n<td width="33%" class="MedSmallFormText">(City)</td>\n'
        '<td width="33%" class="MedSmallFormText">(State)</td>\n<td width="33%" class="MedSmallFormText">(Zip)</td>\n</tr></table>'
    )


def owner_box(owner: ReportingOwner, form: str) -> str:
    width = "30%" if form == "3" else "35%"
    return (
        f'<table width="100%" border="1" cellspacing="0" cellpadding="4">\n<tr>\n'
        f'<td rowspan="3" width="{width}" valign="top">\n{owner_block(owner)}\n</td>'
    )


def _relationship(owner: ReportingOwner, number: int) -> str:
    def mark(flag: bool, width: str = "") -> str:
        w = f' width="{width}"' if width else ""
        return (
            f'<td{w} align="center"><span class="FormData">X</span></td>'
            if flag
            else f'<td{w} align="center"></td>'
        )

    return (
        f'<span class="MedSmallFormText">{number}. Relationship of Reporting Person(s) to Issuer\n      </span><br>'
        '<span class="MedSmallFormText">(Check all applicable)</span><table border="0" width="100%">\n'
        f'<tr>\n{mark(owner.is_director, "15%")}\n<td width="35%" class="MedSmallFormText">Director</td>\n'
        f'{mark(owner.is_ten_percent_owner, "15%")}\n<td width="35%" class="MedSmallFormText">10% Owner</td>\n</tr>\n'
        f'<tr>\n{mark(owner.is_officer)}\n<td class="MedSmallFormText">Officer (give title below)</td>\n'
        f'{mark(owner.is_other)}\n<td class="MedSmallFormText">Other (specify below)</td>\n</tr>\n'
        '<tr>\n<td width="15%" align="center"></td>\n'
        f'<td width="35%" align="left" style="color: blue">{_e(owner.officer_title)}</td>\n'
        '<td width="15%" align="center"></td>\n'
        f'<td width="35%" align="left" style="color: blue">{_e(owner.other_text)}</td>\n</tr>\n</table>'
    )


def _joint(n_owners: int) -> str:
    one, many = (
        ('<span class="FormData">X</span>', "") if n_owners == 1 else ("", '<span class="FormData">X</span>')
    )
    return (
        '<span class="MedSmallFormText">6. Individual or Joint/Group Filing (Check Applicable Line)\n      </span>'
        '<table border="0" width="100%">\n'
        f'<tr>\n<td width="15%" align="center">{one}</td>\n<td width="85%" class="MedSmallFormText">Form filed by One Reporting Person</td>\n</tr>\n'
        f'<tr>\n<td width="15%" align="center">{many}</td>\n<td width="85%" class="MedSmallFormText">Form filed by More than One Reporting Person</td>\n</tr>\n'
        "</table>"
    )


def issuer_and_dates(filing: Filing, first: ReportingOwner, period: str, original: str) -> str:
    issuer = filing.issuer
    issuer_html = (
        f'<br><a href="/cgi-bin/browse-edgar?action=getcompany&amp;CIK={issuer.cik}">{_e(issuer.name)}</a>\n'
        f'     [ <span class="FormData">{_e(issuer.ticker or "NONE")}</span> ]\n   '
    )
    period_span = f'<span class="FormData">{period}</span>' if period else ""
    original_span = f'<span class="FormData">{original}</span>' if original else ""
    joint = _joint(len(filing.owners))
    if filing.form_type.startswith("3"):
        return (
            f'<td rowspan="3" width="15%" valign="top">\n<span class="MedSmallFormText">2. Date of Event Requiring Statement\n'
            f"         (Month/Day/Year)</span><br>{period_span}\n</td>\n"
            f'<td valign="top" colspan="2">\n<span class="MedSmallFormText">3. Issuer Name <b>and</b> Ticker or Trading Symbol\n'
            f'      </span>{issuer_html}</td>\n</tr>\n<tr>\n<td rowspan="2" width="30%" valign="top">\n{_relationship(first, 4)}\n</td>\n'
            f'<td valign="top">\n<span class="MedSmallFormText">5. If Amendment, Date of Original Filed\n'
            f'         (Month/Day/Year)</span><br>{original_span}\n</td>\n</tr>\n<tr><td valign="top">\n{joint}\n</td></tr>\n</table>'
        )
    box3 = (
        "3. Statement for Issuer's Fiscal Year Ended"
        if filing.form_type.startswith("5")
        else "3. Date of Earliest Transaction"
    )
    return (
        f'<td width="35%" valign="top">\n<span class="MedSmallFormText">2. Issuer Name <b>and</b> Ticker or Trading Symbol\n'
        f'      </span>{issuer_html}</td>\n<td rowspan="2" valign="top">\n{_relationship(first, 5)}\n</td>\n</tr>\n'
        f'<tr><td valign="top">\n<span class="MedSmallFormText">{box3}\n         (Month/Day/Year)</span><br>{period_span}\n</td></tr>\n'
        f'<tr>\n<td valign="top">\n<span class="MedSmallFormText">4. If Amendment, Date of Original Filed\n'
        f'         (Month/Day/Year)</span><br>{original_span}\n</td>\n<td valign="top">\n{joint}\n</td>\n</tr>\n</table>'
    )


def _th(
    width: str,
    label: str,
    *,
    rowspan: int = 0,
    colspan: int = 0,
    cls: str = "SmallFormText",
    bottom: bool = False,
) -> str:
    span = f' rowspan="{rowspan}"' if rowspan else f' colspan="{colspan}"' if colspan else ""
    if bottom:
        return f'<th width="{width}" valign="bottom" align="center" class="{cls}">{label}</th>'
    return f'<th width="{width}" valign="top"{span} align="left" class="{cls}">{label}</th>'


def _sub(width: str, label: str) -> str:
    return f'<th width="{width}" align="center" class="SmallFormText">{label}</th>'


def table1_head(form: str) -> str:
    t = '<table width="100%" border="1" cellspacing="0" cellpadding="4">\n<thead>\n'
    if form == "3":
        m = "MedSmallFormText"
        return (
            t
            + '<tr><th width="100%" valign="top" colspan="4" align="center" class="FormTextC"><b>Table I - Non-Derivative Securities Beneficially Owned</b></th></tr>\n<tr>\n'
            + "\n".join(
                [
                    _th("44%", "1. Title of Security (Instr. \n      4)\n   ", cls=m),
                    _th(
                        "19%",
                        "2. \n      Amount of Securities Beneficially Owned (Instr. \n      4)\n   ",
                        cls=m,
                    ),
                    _th(
                        "11%", "3. Ownership Form: Direct (D) or Indirect (I) (Instr. \n      5)\n   ", cls=m
                    ),
                    _th("26%", "4. Nature of Indirect Beneficial Ownership (Instr. \n      5)\n   ", cls=m),
                ]
            )
            + "\n</tr>\n"
        )
    five = form == "5"
    cols = 16 if five else 11
    following = (
        "Amount of Securities Beneficially Owned at end of Issuer's Fiscal Year"
        if five
        else "Amount of Securities Beneficially Owned Following Reported Transaction(s)"
    )
    code = (
        _th("6%", "3. Transaction Code (Instr. \n      8)\n   ", rowspan=2)
        if five
        else _th("7%", "3. Transaction Code (Instr. \n      8)\n   ", colspan=2)
    )
    heads = [
        _th("36%", "1. Title of Security (Instr. \n      3)\n   ", rowspan=2, cls="MedSmallFormText"),
        _th("6%", "2. Transaction Date\n      (Month/Day/Year)", rowspan=2),
        _th("5%", "2A. Deemed Execution Date, if any\n      (Month/Day/Year)", rowspan=2),
        code,
        _th(
            "19%", "4. Securities Acquired (A) or Disposed Of (D) (Instr. \n      3, 4 and 5)\n   ", colspan=3
        ),
        _th("11%", f"5. \n      {following} (Instr. \n      3 and 4)\n   ", rowspan=2),
        _th("9%", "6. Ownership Form: Direct (D) or Indirect (I) (Instr. \n      4)\n   ", rowspan=2),
        _th("8%", "7. Nature of Indirect Beneficial Ownership (Instr. \n      4)\n   ", rowspan=2),
    ]
    subs = ([] if five else [_sub("4%", "Code"), _sub("3%", "V")]) + [
        _sub("8%", "Amount"),
        _sub("5%", "(A) or (D)"),
        _sub("6%", "Price"),
    ]
    return (
        t
        + f'<tr><th width="100%" valign="top" colspan="{cols}" align="center" class="FormTextC"><b>Table I - Non-Derivative Securities Acquired, Disposed of, or Beneficially Owned</b></th></tr>\n'
        + "<tr>\n"
        + "\n".join(heads)
        + "\n</tr>\n<tr>\n"
        + "\n".join(subs)
        + "\n</tr>\n"
    )


def table2_head(form: str) -> str:
    t = '<table width="100%" border="1" cellspacing="0" cellpadding="4">\n<thead>\n'
    note = "<br><b>(e.g., puts, calls, warrants, options, convertible securities)</b>\n</th></tr>\n"
    if form == "3":
        m = "MedSmallFormText"
        heads = [
            _th("35%", "1. Title of Derivative Security (Instr. \n      4)\n   ", rowspan=2, cls=m),
            _th("9%", "2. Date Exercisable and Expiration Date\n      (Month/Day/Year)", colspan=2, cls=m),
            _th(
                "26%",
                "3. Title and Amount of Securities Underlying Derivative Security (Instr. \n      4)\n   ",
                colspan=2,
                cls=m,
            ),
            _th("7%", "4. Conversion or Exercise Price of Derivative Security\n   ", rowspan=2, cls=m),
            _th(
                "8%",
                "5. Ownership Form: Direct (D) or Indirect (I) (Instr. \n      5)\n   ",
                rowspan=2,
                cls=m,
            ),
            _th(
                "15%", "6. Nature of Indirect Beneficial Ownership (Instr. \n      5)\n   ", rowspan=2, cls=m
            ),
        ]
        subs = [
            _th("4%", "Date Exercisable", bottom=True, cls=m),
            _th("5%", "Expiration Date", bottom=True, cls=m),
            _th("20%", "Title", bottom=True, cls=m),
            _th("6%", "Amount or Number of Shares", bottom=True, cls=m),
        ]
        return (
            t + '<tr><th width="100%" valign="top" colspan="8" align="center" class="FormTextC">\n'
            "<b>Table II - Derivative Securities Beneficially Owned</b>"
            + note
            + "<tr>\n"
            + "\n".join(heads)
            + "\n</tr>\n<tr>\n"
            + "\n".join(subs)
            + "\n</tr>\n"
        )
    five = form == "5"
    code = (
        _th("6%", "4. Transaction Code (Instr. \n      8)\n   ", rowspan=2)
        if five
        else _th("9%", "4. Transaction Code (Instr. \n      8)\n   ", colspan=2)
    )
    heads = [
        _th("13%", "1. Title of Derivative Security (Instr. \n      3)\n   ", rowspan=2),
        _th("5%", "2. Conversion or Exercise Price of Derivative Security\n   ", rowspan=2),
        _th("5%", "3. Transaction Date\n      (Month/Day/Year)", rowspan=2),
        _th("5%", "3A. Deemed Execution Date, if any\n      (Month/Day/Year)", rowspan=2),
        code,
        _th(
            "10%",
            "5. \n      Number of Derivative Securities Acquired (A) or Disposed of (D) (Instr. \n      3, 4 and 5)\n   ",
            colspan=2,
        ),
        _th("9%", "6. Date Exercisable and Expiration Date \n      (Month/Day/Year)", colspan=2),
        _th(
            "17%",
            "7. Title and Amount of Securities Underlying Derivative Security (Instr. \n      3 and 4)\n   ",
            colspan=2,
        ),
        _th("6%", "8. Price of Derivative Security (Instr. \n      5)\n   ", rowspan=2),
        _th(
            "6%",
            "9. \n      Number of derivative Securities Beneficially Owned Following Reported Transaction(s) (Instr. \n      4)\n   ",
            rowspan=2,
        ),
        _th("6%", "10. Ownership Form: Direct (D) or Indirect (I) (Instr. \n      4)\n   ", rowspan=2),
        _th("7%", "11. Nature of Indirect Beneficial Ownership (Instr. \n      4)\n   ", rowspan=2),
    ]
    subs = ([] if five else [_th("4%", "Code", bottom=True), _th("4%", "V", bottom=True)]) + [
        _th("5%", "(A)", bottom=True),
        _th("5%", "(D)", bottom=True),
        _th("5%", "Date Exercisable", bottom=True),
        _th("4%", "Expiration Date", bottom=True),
        _th("10%", "Title", bottom=True),
        _th("7%", "Amount or Number of Shares", bottom=True),
    ]
    return (
        t
        + f'<tr><th width="100%" valign="top" colspan="{15 if five else 16}" align="center" class="FormTextC">\n'
        "<b>Table II - Derivative Securities Acquired, Disposed of, or Beneficially Owned</b>"
        + note
        + "<tr>\n"
        + "\n".join(heads)
        + "\n</tr>\n<tr>\n"
        + "\n".join(subs)
        + "\n</tr>\n"
    )


_REMINDERS = (
    "Reminder: Report on a separate line for each class of securities beneficially owned directly or indirectly.",
    "* If the form is filed by more than one reporting person, \n                  <i>see</i>\n                  Instruction \n"
    "                  4\n                  (b)(v).",
    "** Intentional misstatements or omissions of facts constitute Federal Criminal Violations \n                  <i>See</i>\n"
    "                  18 U.S.C. 1001 and 15 U.S.C. 78ff(a).",
    "Note: File three copies of this Form, one of which must be manually signed. If space is insufficient, \n"
    "                  <i>see</i>\n                  Instruction 6 for procedure.",
    "<b>Persons who respond to the collection of information contained in this form are not required to respond unless "
    "the form displays a currently valid OMB Number.</b>",
)


def signatures(sigs: tuple[Signature, ...]) -> str:
    out = ['<table width="100%" border="0">']
    for sig in sigs:
        when = f"{sig.date:%m/%d/%Y}" if sig.date else ""
        out.append(
            f'<tr>\n<td width="60%"></td>\n<td width="20%"><u><span class="FormData">{_e(sig.name)}</span></u></td>\n'
            f'<td width="20%"><u><span class="FormData">{when}</span></u></td>\n</tr>'
        )
        out.append(
            '<tr>\n<td></td>\n<td class="MedSmallFormText">** Signature of Reporting Person</td>\n'
            '<td class="MedSmallFormText">Date</td>\n</tr>'
        )
    out += [f'<tr><td colspan="3" class="MedSmallFormText">{r}</td></tr>' for r in _REMINDERS]
    out.append("</table>\n</body>\n</html>\n")
    return "\n".join(out)


__all__ = [
    "head",
    "issuer_and_dates",
    "owner_block",
    "owner_box",
    "signatures",
    "table1_head",
    "table2_head",
    "top_box",
]
