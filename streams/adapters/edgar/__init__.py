"""EDGAR as a producer: the latest-filings feed, daily form indexes and complete submissions.

``client`` is the polite HTTP client (declared User-Agent, at most ``edgar_max_rps`` requests per
second, bounded retries); ``feed`` and ``index`` list filings; ``fetch`` downloads them; ``state``
remembers what was sent; ``run`` ties them to Kafka for ``form4 edgar follow|backfill``.
"""
