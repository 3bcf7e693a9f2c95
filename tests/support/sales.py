"""A tiny hand-written Form 4 with one open-market sale: the quickest way to make the worker alert."""

from __future__ import annotations

_TEMPLATE = """<?xml version="1.0"?>
<ownershipDocument>
  <schemaVersion>X0508</schemaVersion>
  <documentType>4</documentType>
  <periodOfReport>{day}</periodOfReport>
  <notSubjectToSection16>0</notSubjectToSection16>
  <issuer>
    <issuerCik>{issuer_cik}</issuerCik>
    <issuerName>{issuer_name}</issuerName>
    <issuerTradingSymbol>{ticker}</issuerTradingSymbol>
  </issuer>
  <reportingOwner>
    <reportingOwnerId>
      <rptOwnerCik>{owner_cik}</rptOwnerCik>
      <rptOwnerName>{owner_name}</rptOwnerName>
    </reportingOwnerId>
    <reportingOwnerRelationship>
      <isDirector>1</isDirector>
      <isOfficer>1</isOfficer>
      <isTenPercentOwner>0</isTenPercentOwner>
      <isOther>0</isOther>
      <officerTitle>Chief Executive Officer</officerTitle>
    </reportingOwnerRelationship>
  </reportingOwner>
  <aff10b5One>0</aff10b5One>
  <nonDerivativeTable>
    <nonDerivativeTransaction>
      <securityTitle><value>Common Stock</value></securityTitle>
      <transactionDate><value>{day}</value></transactionDate>
      <transactionCoding>
        <transactionFormType>4</transactionFormType>
        <transactionCode>S</transactionCode>
        <equitySwapInvolved>0</equitySwapInvolved>
      </transactionCoding>
      <transactionAmounts>
        <transactionShares><value>{shares}</value></transactionShares>
        <transactionPricePerShare><value>{price}</value></transactionPricePerShare>
        <transactionAcquiredDisposedCode><value>D</value></transactionAcquiredDisposedCode>
      </transactionAmounts>
      <postTransactionAmounts>
        <sharesOwnedFollowingTransaction><value>{following}</value></sharesOwnedFollowingTransaction>
      </postTransactionAmounts>
      <ownershipNature>
        <directOrIndirectOwnership><value>D</value></directOrIndirectOwnership>
      </ownershipNature>
    </nonDerivativeTransaction>
  </nonDerivativeTable>
  <ownerSignature>
    <signatureName>/s/ {owner_name}</signatureName>
    <signatureDate>{day}</signatureDate>
  </ownerSignature>
</ownershipDocument>
"""


def ceo_sale_xml(
    *,
    ticker: str = "ACME",
    issuer_cik: str = "0001234567",
    owner_cik: str = "0001000001",
    shares: int = 100_000,
    price: str = "50.00",
    following: int = 400_000,
    day: str = "2024-03-04",
) -> bytes:
    """A Form 4: the CEO sells ``shares`` at ``price`` (default $5M, a ``large_sale`` alert)."""
    return _TEMPLATE.format(
        day=day,
        issuer_cik=issuer_cik,
        issuer_name=f"{ticker} Corp",
        ticker=ticker,
        owner_cik=owner_cik,
        owner_name=f"Owner {owner_cik[-4:]}",
        shares=shares,
        price=price,
        following=following,
    ).encode()
