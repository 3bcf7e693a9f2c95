"""The worker's web page in a real headless Chromium, driven over the DevTools protocol.

The page loads from the worker, an alert pushed through the pipeline on the real broker appears
without a reload, and the filters work. A screenshot is kept under the test's tmp_path (path printed).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.support.sales import ceo_sale_xml
from tests.support.worker import WorkerProcess

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",  # room for the whole table in the screenshot
    "--remote-debugging-port=0",  # Chromium picks a free port and writes it to DevToolsActivePort
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "chromium not installed: run `make tools` (Debian, as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


class DevTools:
    """The smallest DevTools-protocol client: one page target, commands answered by id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        async for message in self.ws:
            data = message.json()
            if data.get("id") == call_id:  # events (no id) are not ours to wait for
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data["result"]  # type: ignore[no-any-return]
        raise RuntimeError("DevTools connection closed")

    async def js(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 90.0) -> Any:
        """Poll ``expression`` until it is truthy (the page updates on its own; we only look)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.3)
        html = await self.js("document.body.innerHTML")
        raise AssertionError(f"never true: {expression}\n{html[:3000]}")


@pytest.fixture(scope="module")
def worker(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    w = WorkerProcess.create(kafka_bootstrap, tmp_path_factory.mktemp("page"))
    w.start()
    try:
        yield w
    finally:
        w.stop()


@pytest_asyncio.fixture
async def browser(worker: WorkerProcess, tmp_path: Path) -> AsyncIterator[DevTools]:
    profile = tmp_path / "chromium-profile"
    url = f"http://127.0.0.1:{worker.settings.web_port}/"
    proc = subprocess.Popen(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(600):
            if port_file.exists() and port_file.read_text().strip():
                break
            assert proc.poll() is None, f"chromium exited with {proc.returncode}"
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as session:
            targets: list[dict[str, Any]] = []
            for _ in range(100):
                async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
                    targets = [t for t in await answer.json() if t["type"] == "page"]
                if targets:
                    break
                await asyncio.sleep(0.1)
            async with session.ws_connect(targets[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield DevTools(ws)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


ROWS = "document.querySelectorAll('#alert-rows tr')"


async def set_filter(page: DevTools, name: str, value: str) -> None:
    await page.js(
        f"(() => {{ const el = document.getElementById('f-{name}'); el.value = {value!r}; "
        "el.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )


async def test_alerts_appear_live_and_filter(
    worker: WorkerProcess, browser: DevTools, tmp_path: Path
) -> None:
    page = browser
    await page.wait_for("document.readyState === 'complete' && !!document.getElementById('alerts')")
    await page.js("window.__loadedOnce = 'yes'")  # gone if the page reloads
    assert await page.js(f"{ROWS}.length") == 0

    await worker.push(
        [(b"acme", ceo_sale_xml(ticker="ACME", issuer_cik="0001234567", owner_cik="0001000001"))]
    )
    await page.wait_for(f"{ROWS}.length === 1 && {ROWS}[0].textContent.includes('ACME')")
    assert await page.js("window.__loadedOnce") == "yes"  # it came without a reload
    assert (await page.js(f"{ROWS}[0].className")).startswith("alert sev-")
    assert await page.js("!!document.querySelector('#alert-rows a[href^=\"https://www.sec.gov/\"]')")
    await page.wait_for("document.getElementById('ops-kafka').textContent.includes('reachable')")

    await worker.push([(b"zzz", ceo_sale_xml(ticker="ZZZ", issuer_cik="0007654321", owner_cik="0001000002"))])
    await page.wait_for(f"{ROWS}.length === 2")
    assert await page.js(f"{ROWS}[0].textContent.includes('ZZZ')")  # newest first

    await set_filter(page, "ticker", "zzz")
    await page.wait_for(f"{ROWS}.length === 1 && {ROWS}[0].textContent.includes('ZZZ')")
    assert "ticker=zzz" in await page.js("location.search")
    await set_filter(page, "ticker", "")
    await set_filter(page, "rule", "liquidation")
    await page.wait_for(f"{ROWS}.length === 0")
    await set_filter(page, "rule", "large_sale")
    await page.wait_for(f"{ROWS}.length === 2")
    await set_filter(page, "owner", "1000001")
    await page.wait_for(f"{ROWS}.length === 1 && {ROWS}[0].textContent.includes('ACME')")
    await set_filter(page, "owner", "")
    await set_filter(page, "severity", "low")
    await page.wait_for(f"{ROWS}.length === 2")

    # The style sheet is served and a retracted alert reads struck through.
    struck = await page.js(
        f"(() => {{ const tr = {ROWS}[1]; tr.classList.add('retracted'); "
        "return getComputedStyle(tr.cells[0]).textDecorationLine; })()"
    )
    assert struck == "line-through"

    shot = await page.call("Page.captureScreenshot", format="png")
    path = tmp_path / "form4-page.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"screenshot: {path}")
    assert path.stat().st_size > 1000


async def test_the_issuer_page_shows_positions_transactions_and_breaks(
    worker: WorkerProcess, browser: DevTools
) -> None:
    await worker.push(
        [(b"acme", ceo_sale_xml(ticker="ACME", issuer_cik="0001234567", owner_cik="0001000001"))]
    )
    await worker.drained()
    url = f"http://127.0.0.1:{worker.settings.web_port}/issuer?issuer=ACME"
    await browser.call("Page.navigate", url=url)
    await browser.wait_for("!!document.getElementById('positions') && document.readyState === 'complete'")
    assert await browser.js("document.querySelectorAll('#positions tr').length") >= 2
    assert await browser.js("document.querySelectorAll('#transactions tr').length") >= 2
    assert "Reconciliation breaks" in await browser.js("document.body.textContent")
