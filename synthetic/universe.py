"""A seeded world of issuers and insiders for the synthetic filing generator.

Names are assembled from small word lists so that a universe of any size is cheap to build and the
same seed always yields the same people, companies, CIKs and tickers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from parsers.models import Address

_FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Steven "
    "Ashley Paul Kimberly Andrew Emily Joshua Donna Kevin Michelle Brian Carol George Amanda Priya Wei "
    "Rajesh Mei Carlos Sofia Hiroshi Aisha Olga Tomas"
).split()
_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Chen Okafor Kowalski Lindqvist"
).split()
_MIDDLE = "A B C D E F G H J K L M N P R S T W".split()
_STEM = (
    "Northwind Bluegate Cedar Summit Ironwood Harbor Keystone Meridian Pinnacle Silverline Redrock "
    "Clearwater Brightpath Granite Lumen Vantage Evergreen Copperfield Aurora Trident Beacon Sterling "
    "Halcyon Orion Cascade Falcon Quarry Willow Atlas Nimbus Zenith Solace Vertex Driftwood Tamarack"
).split()
_SECTOR = (
    "Therapeutics Biosciences Semiconductor Software Energy Bancorp Financial Holdings Networks "
    "Pharmaceuticals Industries Systems Robotics Materials Foods Logistics Realty Aerospace Media"
).split()
_SUFFIX = ("Inc.", "Corp", "Inc", "Holdings, Inc.", "Co", "Ltd", "Corporation", "Group, Inc.")
_FUND_WORD = ("Capital", "Partners", "Ventures", "Investors", "Growth", "Opportunity", "Value")
_CITIES = (
    ("NEW YORK", "NY", "10022"),
    ("SAN FRANCISCO", "CA", "94105"),
    ("BOSTON", "MA", "02110"),
    ("AUSTIN", "TX", "78701"),
    ("CHICAGO", "IL", "60606"),
    ("SEATTLE", "WA", "98101"),
    ("MENLO PARK", "CA", "94025"),
    ("GREENWICH", "CT", "06830"),
    ("DENVER", "CO", "80202"),
    ("ATLANTA", "GA", "30303"),
    ("MINNEAPOLIS", "MN", "55402"),
    ("RALEIGH", "NC", "27601"),
)
_STREETS = ("MAIN STREET", "MARKET STREET", "PARK AVENUE", "INNOVATION DRIVE", "COMMERCE BLVD", "HARBOR WAY")

# Officer titles are at most 30 characters (XSD STRING_30).
ROLE_TITLES: dict[str, str] = {
    "ceo": "Chief Executive Officer",
    "cfo": "Chief Financial Officer",
    "president": "President and COO",
    "gc": "EVP, General Counsel",
    "cto": "Chief Technology Officer",
    "cao": "Chief Accounting Officer",
    "evp": "EVP, Sales",
}


@dataclass(frozen=True)
class IssuerProfile:
    """A listed company: identity, address and the market it trades in."""

    cik: str
    name: str
    ticker: str
    address: Address
    base_price: Decimal
    common_title: str
    fiscal_year_end: tuple[int, int]
    """(month, day) of the fiscal year end, the Form 5 period."""


@dataclass(frozen=True)
class Insider:
    """One reporting owner: a person or an entity (fund, trust, LLC)."""

    cik: str
    name: str
    role: str
    """ceo, cfo, president, gc, cto, cao, evp, director, chair, ten_percent (fund), other."""
    address: Address
    is_director: bool = False
    is_officer: bool = False
    is_ten_percent_owner: bool = False
    is_other: bool = False
    officer_title: str | None = None
    other_text: str | None = None
    is_entity: bool = False
    signer: str = ""
    """The name written in the signature block."""


@dataclass(frozen=True)
class FilerGroup:
    """The owner(s) that always file together, and the indirect vehicles they report through."""

    key: str
    issuer: IssuerProfile
    owners: tuple[Insider, ...]
    vehicles: tuple[str, ...]
    """Natures of indirect ownership (``By Trust``, ``By LLC``, ...), each its own position."""

    @property
    def primary(self) -> Insider:
        return self.owners[0]


@dataclass
class Universe:
    """Seeded issuers and their insiders.

    Args:
        seed: everything below is a pure function of it.
        n_issuers: how many companies; each gets 5-10 insiders and maybe a joint-filing fund.
        start: the earliest transaction date of the generated stream.
    """

    seed: int
    n_issuers: int = 40
    start: date = date(2022, 10, 3)
    issuers: list[IssuerProfile] = field(default_factory=list)
    groups: list[FilerGroup] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(f"universe/{self.seed}")
        used_ciks: set[str] = set()
        used_tickers: set[str] = set()
        used_names: set[str] = set()
        for _ in range(self.n_issuers):
            issuer = self._issuer(rng, used_ciks, used_tickers)
            self.issuers.append(issuer)
            self.groups.extend(self._insiders(rng, issuer, used_ciks, used_names))

    # --- builders --------------------------------------------------------------------------------

    @staticmethod
    def _cik(rng: random.Random, used: set[str], low: int, high: int) -> str:
        while True:
            cik = f"{rng.randint(low, high):010d}"
            if cik not in used:
                used.add(cik)
                return cik

    @staticmethod
    def _address(rng: random.Random, care_of: str | None = None) -> Address:
        city, state, zip_code = rng.choice(_CITIES)
        street = f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}"
        if care_of:
            return Address(
                street1=f"C/O {care_of.upper()}"[:40].rstrip(" ,"),
                street2=street,
                city=city,
                state=state,
                zip_code=zip_code,
            )
        return Address(street1=street, city=city, state=state, zip_code=zip_code)

    def _issuer(self, rng: random.Random, used_ciks: set[str], used_tickers: set[str]) -> IssuerProfile:
        name = f"{rng.choice(_STEM)} {rng.choice(_SECTOR)} {rng.choice(_SUFFIX)}"
        while True:
            ticker = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.choice((3, 4, 4))))
            if ticker not in used_tickers:
                used_tickers.add(ticker)
                break
        price = Decimal(rng.choice((3, 12, 25, 48, 75, 130, 260, 540))) + Decimal(rng.randint(0, 99)) / 100
        return IssuerProfile(
            cik=self._cik(rng, used_ciks, 1_000_000, 2_099_999),
            name=name,
            ticker=ticker,
            address=self._address(rng),
            base_price=price,
            common_title=rng.choice(("Common Stock", "Common Stock", "Class A Common Stock")),
            fiscal_year_end=rng.choice(((12, 31), (12, 31), (1, 31), (6, 30), (9, 30))),
        )

    def _person(self, rng: random.Random, used_names: set[str]) -> tuple[str, str]:
        while True:
            first, last, middle = rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_MIDDLE)
            edgar = f"{last} {first} {middle}" if rng.random() < 0.7 else f"{last} {first}"
            if edgar not in used_names:
                used_names.add(edgar)
                return edgar, f"{first} {middle}. {last}" if middle in edgar.split() else f"{first} {last}"

    def _insiders(
        self, rng: random.Random, issuer: IssuerProfile, used_ciks: set[str], used_names: set[str]
    ) -> list[FilerGroup]:
        roles = ["ceo", "cfo", "president"] + rng.sample(["gc", "cto", "cao", "evp"], rng.randint(1, 2))
        roles += ["director"] * rng.randint(2, 4)
        if rng.random() < 0.5:
            roles.append("other")
        groups: list[FilerGroup] = []
        for role in roles:
            edgar, display = self._person(rng, used_names)
            care_of = issuer.name if rng.random() < 0.6 else None
            insider = Insider(
                cik=self._cik(rng, used_ciks, 1_100_000, 2_099_999),
                name=edgar,
                role=role,
                address=self._address(rng, care_of),
                is_director=role == "director" or (role == "ceo" and rng.random() < 0.6),
                is_officer=role in ROLE_TITLES,
                is_other=role == "other",
                officer_title=ROLE_TITLES.get(role),
                other_text="Former Officer" if role == "other" else None,
                signer=self._signer(rng, display),
            )
            vehicles = rng.sample(
                ("By Trust", "By Spouse", "By LLC", "By Family Trust", "By GRAT"), rng.randint(0, 2)
            )
            groups.append(
                FilerGroup(key=insider.cik, issuer=issuer, owners=(insider,), vehicles=tuple(vehicles))
            )
        if rng.random() < 0.6:
            groups.append(self._fund_group(rng, issuer, used_ciks, used_names))
        return groups

    @staticmethod
    def _signer(rng: random.Random, display: str) -> str:
        if rng.random() < 0.5:
            return f"/s/ {display}"
        return f"/s/ {rng.choice(_FIRST)} {rng.choice(_LAST)}, Attorney-in-Fact for {display}"

    def _fund_group(
        self, rng: random.Random, issuer: IssuerProfile, used_ciks: set[str], used_names: set[str]
    ) -> FilerGroup:
        # A 10% holder files jointly: the fund, its general partner and (sometimes) the managing member.
        stem = f"{rng.choice(_STEM)} {rng.choice(_FUND_WORD)}"
        address = self._address(rng)
        fund = Insider(
            cik=self._cik(rng, used_ciks, 1_500_000, 2_099_999),
            name=f"{stem} Fund III, L.P.",
            role="ten_percent",
            address=address,
            is_ten_percent_owner=True,
            is_entity=True,
        )
        gp = Insider(
            cik=self._cik(rng, used_ciks, 1_500_000, 2_099_999),
            name=f"{stem} GP, LLC",
            role="ten_percent",
            address=address,
            is_ten_percent_owner=True,
            is_entity=True,
        )
        owners = [fund, gp]
        if rng.random() < 0.5:
            edgar, display = self._person(rng, used_names)
            owners.append(
                Insider(
                    cik=self._cik(rng, used_ciks, 1_100_000, 2_099_999),
                    name=edgar,
                    role="ten_percent",
                    address=address,
                    is_ten_percent_owner=True,
                    is_director=rng.random() < 0.5,
                )
            )
        for i, owner in enumerate(owners):
            owners[i] = Insider(**{**owner.__dict__, "signer": f"/s/ {owner.name.title()}"})
        return FilerGroup(
            key="+".join(o.cik for o in owners),
            issuer=issuer,
            owners=tuple(owners),
            vehicles=(f"By {fund.name}",),
        )


def business_days_after(day: date, n: int) -> date:
    """The ``n``-th business day after ``day`` (weekends skipped; holidays ignored on purpose)."""
    out = day
    while n > 0:
        out += timedelta(days=1)
        if out.weekday() < 5:
            n -= 1
    return out


def next_business_day(day: date) -> date:
    """``day`` itself when it is a weekday, else the following Monday."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


__all__ = [
    "ROLE_TITLES",
    "FilerGroup",
    "Insider",
    "IssuerProfile",
    "Universe",
    "business_days_after",
    "next_business_day",
]
