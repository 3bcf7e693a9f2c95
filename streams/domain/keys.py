"""Natural keys of the state: issuers, owners, holders, holdings, positions and amendment groups.

Every key is a pure function of a ``form4.transaction/1`` event, so a filing redelivered, re-pushed
or replayed in another order lands on exactly the same keys.

A position is ``issuer | holder | holding``:

* the *holder* is one reporting owner, or the group of joint filers (``group:<owner>+<owner>...``):
  a row of a joint filing belongs to the group unless its footnotes name exactly one of the filers;
* the *holding* is ``security | ownership``: the security (for derivatives, one series: title,
  exercise price, exercisable and expiration dates) and the direct or indirect vehicle (the nature
  text and the footnotes attached to it, which is what tells eight trusts all called "Trust" apart).
  A direct line footnoted apart ("Held in IRA", "Held in revocable trust", a restricted stock award)
  is a holding of its own too: a filer lists such lines each with its own amount owned.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from parsers.events import EventOwner, TransactionEvent

_SPACES = re.compile(r"\s+")
_NAME_NOISE = re.compile(r"[^\w\s]")
_SEE_FOOTNOTE = re.compile(r"^\(?\s*see\s+(the\s+)?(explanation|footnotes?|notes?|remarks?)\b", re.I)
_HONORIFIC = re.compile(r"\b(?:mr|ms|mrs|dr|messrs)\.?\s+(\w+)", re.I)
# Footnotes on these fields say whose a row is (direct or indirect) and which vehicle holds it.
_ATTRIBUTION_FIELDS = ("direct_indirect", "nature_of_ownership", "shares_owned_following")
_VEHICLE_FIELDS = ("nature_of_ownership", "direct_indirect")
# ", par value $0.01 per share", "$1 2/3 par value", "(no par value)": which share, not which security.
_PAR_VALUE = re.compile(
    r"[,;]?\s*\(?(?:(?:\$\s*[\d.,]+(?:\s+\d+/\d+)?|no)\s+par\s+value|par\s+value\s+(?:of\s+)?\$\s*[\d.,]+"
    r"(?:\s+\d+/\d+)?)(?:\s+per\s+share)?\)?",
    re.I,
)
_OPEN = re.compile(r"\s*\(\s*")
_CLOSE = re.compile(r"\s*\)")
_PLURAL = re.compile(r"\b(option|unit|warrant|right)s\b")
# "Includes 1,200 shares held in the ESPP": what the one direct amount is made of, not a holding apart.
_INCLUDES = re.compile(r"^\W*(?:(?:this|the|such)\s+(?:\w+\s+){0,3}?)?includes?\b", re.I)


def issuer_key(event: TransactionEvent) -> str:
    """The issuer CIK; renderings without a CIK fall back to the ticker, then the name."""
    issuer = event.issuer
    if issuer.cik:
        return issuer.cik
    if issuer.ticker:
        return f"ticker:{issuer.ticker}"
    return f"name:{normalise(issuer.name or 'unknown')}"


def name_key(name: str) -> str:
    """One person, however a rendering spells them: word order, case, punctuation and initials ignored.

    "Brin Sergey", "Sergey Brin" and "BRIN, SERGEY M." all give ``brin sergey``.
    """
    words = _NAME_NOISE.sub(" ", name.lower()).split()
    kept = [w for w in words if len(w) > 1] or words  # single letters are initials, unless all there is
    return " ".join(sorted(kept))


def owner_key(owner: EventOwner) -> str:
    return owner.cik or f"name:{name_key(owner.name)}"


def seller_key(event: TransactionEvent) -> str:
    """Joint filers report the same shares: together they are one seller, not several."""
    return "+".join(sorted(owner_key(o) for o in event.owners))


def group_holder(owner_keys: Sequence[str]) -> str:
    return "group:" + "+".join(sorted(owner_keys))


def _named(owner: EventOwner, text: str) -> bool:
    """Whether ``text`` names ``owner``: every word of the name, or "Mr. <a word of the name>"."""
    words = set(_NAME_NOISE.sub(" ", text.lower()).split())
    name = [w for w in name_key(owner.name).split() if len(w) > 1]
    if name and all(w in words for w in name):
        return True
    called = {m.lower() for m in _HONORIFIC.findall(text)}
    return any(w in called for w in name if len(w) > 2)


def holder_of(event: TransactionEvent) -> tuple[str, tuple[EventOwner, ...]]:
    """The holder of a row and its owners: the one owner, the one joint filer its footnotes name, or
    the group. A joint filing's row is never given to each filer: summed, it would count many times."""
    owners = event.owners
    if len(owners) == 1:
        return owner_key(owners[0]), owners
    text = " ".join(t for f in _ATTRIBUTION_FIELDS for t in event.footnotes.get(f, ()))
    named = tuple(o for o in owners if text and _named(o, text))
    if len(named) == 1:
        return owner_key(named[0]), named
    return group_holder([owner_key(o) for o in owners]), owners


def _digest(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()[:10]


def _notes(event: TransactionEvent, fields: Sequence[str]) -> str:
    return " ".join(t for f in fields for t in event.footnotes.get(f, ()))


def _dated(value: date | None, event: TransactionEvent, field: str) -> str:
    # A date left blank and footnoted (the value-or-footnote rule) is its footnote: it is what tells
    # two RSU grants without dates apart.
    if value is not None:
        return value.isoformat()
    note = _notes(event, (field,))
    return f"fn:{_digest(note)}" if note else "-"


def _price(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.normalize():f}"


def security_title_key(title: str | None) -> str:
    """A security title as keyed: lower case, single spaces, no par value clause, a derivative's noun
    (option, unit, warrant, right) in the singular, one space before a parenthesis.

    Filers of one issuer's stock write "Common Stock", "Common Stock, par value $0.01 per share" and
    "Common Stock, $.01 Par Value" for one security, often in turns (another agent, another year); kept,
    the clause would split an insider's holding in two, each half breaking its chain."""
    keyed = _PAR_VALUE.sub("", normalise(title or "unknown")).strip(" ,;")
    # "Stock Options (Right to Buy)" and "Stock Option(Right to Buy)" are the series of one grant, which
    # its price and dates pin down; the noun's number and the space before "(" tell nothing apart.
    keyed = _PLURAL.sub(r"\1", _CLOSE.sub(")", _OPEN.sub(" (", keyed))).strip()
    return keyed.replace("|", "/") or "unknown"


def security_key(event: TransactionEvent) -> str:
    """The security, and for a derivative its series: title, exercise price, exercisable, expiration."""
    title = security_title_key(event.security_title)
    if event.table != "derivative":
        return title
    exercisable = _dated(event.exercise_date, event, "exercise_date")
    expiration = _dated(event.expiration_date, event, "expiration_date")
    return f"{title}@{_price(event.conversion_or_exercise_price)}~{exercisable}~{expiration}"


def vehicle_of(event: TransactionEvent) -> str | None:
    """The footnote text that names the vehicle holding a row, if any: an indirect holding's trust or
    fund, or a direct line the filer sets apart from the others (an IRA, a deferred compensation plan,
    restricted stock). A direct line's footnote names no vehicle when it names a filer (it says whose the
    line is: "held directly by the Daniel V. Tierney 2011 Trust", the filer; :func:`holder_of` reads it
    in a joint filing) or says what the one direct amount includes."""
    note = _SPACES.sub(" ", _notes(event, _VEHICLE_FIELDS)).strip()
    if not note:
        return None
    if event.direct_indirect != "I" and (_INCLUDES.match(note) or _attributes(event, note)):
        return None
    return note


def _attributes(event: TransactionEvent, note: str) -> bool:
    """Whether ``note`` names a reporting owner: it says whose a direct line is, not where it is held."""
    return any(_named(o, note) for o in event.owners)


def ownership_key(event: TransactionEvent, vehicle: str | None) -> str:
    """``D``, or ``I:<nature>``, each plus a digest of ``vehicle`` (:func:`vehicle_of`) when there is one."""
    if event.direct_indirect != "I":
        return "D" if vehicle is None else f"D#{_digest(vehicle)}"
    # "By Accel Investors 2009 L.L.C." and "... L.L.C": a closing stop or comma is no other vehicle.
    nature = normalise(event.nature_of_ownership or "").rstrip(" .,;").replace("|", "/")
    if vehicle is None:
        return f"I:{nature}"
    # "See footnote" and "See footnotes" say nothing the footnote does not: the footnote is the key.
    return f"I:{'see footnote' if _SEE_FOOTNOTE.match(nature) else nature}#{_digest(vehicle)}"


def holding_of(event: TransactionEvent) -> tuple[str, str | None]:
    """The holding key ``security | ownership`` and the vehicle's footnote text, read once per row."""
    vehicle = vehicle_of(event)
    return f"{security_key(event)}|{ownership_key(event, vehicle)}", vehicle


def holding_key(event: TransactionEvent) -> str:
    return holding_of(event)[0]


def position_key(event: TransactionEvent) -> str:
    """``issuer | holder | security | ownership``: the one position a row updates."""
    holder, _ = holder_of(event)
    return f"{issuer_key(event)}|{holder}|{holding_key(event)}"


def group_key(event: TransactionEvent) -> str:
    """Amendment group: issuer, owners and period of report (the SEC gives no link to the original)."""
    period = event.period_of_report.isoformat() if event.period_of_report else "-"
    return f"{issuer_key(event)}|{seller_key(event)}|{period}"


def stable_id(*parts: str) -> str:
    """A short, stable id from its parts (alert ids)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def normalise(text: str) -> str:
    """Lower case, single spaces: titles and names as keys."""
    return _SPACES.sub(" ", text.strip()).lower()
