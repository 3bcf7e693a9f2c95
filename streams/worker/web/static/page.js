// form4-stream page: keeps the alerts table and the ops strip live without a reload.
// Polls /api/alerts?since=<seq> (what changed since the last answer) and /api/ops; filters run here,
// with the same rules as the server's `matches` (streams/worker/web/page.py).
"use strict";
(function () {
  const SEVERITIES = ["low", "medium", "high", "critical"];
  const rows = document.getElementById("alert-rows");
  const alerts = new Map(); // alert_id -> served alert JSON
  let seq = 0;

  function esc(text) {
    const span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }
  function money(value) {
    if (value == null || value === "") return "";
    return "$" + Math.round(Number(value)).toLocaleString("en-US");
  }
  function filters() {
    const get = (name) => (document.getElementById("f-" + name) || { value: "" }).value;
    return { ticker: get("ticker").trim().toUpperCase(), rule: get("rule"), severity: get("severity"),
             owner: get("owner").trim().toLowerCase() };
  }
  function matches(a, f) {
    if (f.ticker && (a.ticker || "").toUpperCase() !== f.ticker && a.issuer_cik !== f.ticker.padStart(10, "0")) return false;
    if (f.rule && a.rule !== f.rule) return false;
    if (f.severity && SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(f.severity)) return false;
    if (f.owner && !a.owners.some((o) => (o.name + " " + (o.cik || "")).toLowerCase().includes(f.owner))) return false;
    return true;
  }
  function row(a, fresh) {
    const owners = a.owners.map((o) => o.name + " (" + o.role + ")").join(", ");
    const issuer = a.ticker || a.issuer_cik;
    const link = a.edgar_url ? '<a href="' + esc(a.edgar_url) + '" rel="noreferrer">EDGAR</a>' : "";
    const value = money(a.figures.value_usd || a.figures.window_sold_value_usd);
    const tr = document.createElement("tr");
    tr.className = "alert sev-" + a.severity + (a.retracted ? " retracted" : "") + (fresh ? " fresh" : "");
    tr.dataset.id = a.alert_id;
    tr.innerHTML = "<td>" + esc(a.created_at.slice(0, 19).replace("T", " ")) + "</td>" +
      '<td><span class="sev">' + esc(a.severity) + "</span></td><td>" + esc(a.rule) + "</td>" +
      '<td><a href="/issuer?issuer=' + encodeURIComponent(issuer) + '">' + esc(issuer) + "</a></td>" +
      "<td>" + esc(owners) + '</td><td class="num">' + esc(value) + "</td><td>" + esc(a.summary) +
      "</td><td>" + link + "</td>";
    return tr;
  }
  function render(freshIds) {
    if (!rows) return;
    const f = filters();
    const shown = [...alerts.values()].filter((a) => matches(a, f))
      .sort((x, y) => (x.created_at < y.created_at ? 1 : x.created_at > y.created_at ? -1 : y.seq - x.seq));
    rows.replaceChildren(...shown.map((a) => row(a, freshIds.has(a.alert_id))));
    rows.dataset.seq = String(seq);
    rows.dataset.shown = String(shown.length);
  }
  async function pollAlerts() {
    try {
      const answer = await (await fetch("/api/alerts?since=" + seq, { cache: "no-store" })).json();
      const fresh = new Set();
      for (const a of answer.alerts) {
        if (seq > 0) fresh.add(a.alert_id);
        alerts.set(a.alert_id, a);
      }
      const changed = answer.alerts.length > 0 || seq === 0;
      seq = answer.seq;
      if (changed) render(fresh);
    } catch (err) { /* the worker restarts or the network blips: try again next tick */ }
  }
  async function pollOps() {
    const set = (id, text, bad) => {
      const el = document.getElementById(id);
      if (el) { el.textContent = text; el.classList.toggle("bad", !!bad); }
    };
    try {
      const ops = await (await fetch("/api/ops", { cache: "no-store" })).json();
      set("ops-kafka", ops.kafka_reachable ? "Kafka: reachable" : "Kafka: UNREACHABLE (" + ops.kafka_error + ")", !ops.kafka_reachable);
      const lag = Object.entries(ops.lag_by_topic).map(([t, n]) => t + " " + n).join(", ");
      set("ops-lag", "lag: " + (lag || "-"), Object.values(ops.lag_by_topic).some((n) => n > 1000));
      const dlq = Object.entries(ops.dead_letters_by_reason).map(([r, n]) => r + " " + n).join(", ");
      set("ops-dlq", "dead letters: " + (dlq || "0"), false);
      set("ops-webhooks", "webhook failures: " + ops.webhook_failed_attempts + " attempts, " +
          ops.webhook_dead_lettered + " dead-lettered", ops.webhook_dead_lettered > 0);
    } catch (err) { set("ops-kafka", "worker: not answering", true); }
  }
  const form = document.getElementById("filters");
  if (form) {
    const onChange = () => {
      const f = new URLSearchParams(new FormData(form));
      for (const [k, v] of [...f.entries()]) if (!v) f.delete(k);
      history.replaceState(null, "", f.toString() ? "?" + f : location.pathname);
      render(new Set());
    };
    form.addEventListener("input", onChange);
    form.addEventListener("change", onChange);
    form.addEventListener("submit", (e) => { e.preventDefault(); onChange(); });
  }
  if (rows) { pollAlerts(); setInterval(pollAlerts, 1500); }
  pollOps(); setInterval(pollOps, 5000);
})();
