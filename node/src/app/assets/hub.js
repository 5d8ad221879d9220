// The overview of every unit (the hub's first page, kept beside the office app): charts,
// reports, conflicts. Read-only; loaded by hub.html (no inline script).
"use strict";
let lang = localStorage.getItem("nhip-lang") || "vi";
// The page's words come from the node (/app/words: the one place texts live), in one language.
let words = {};
const t = (key) => words["board_" + key] || key;
async function loadWords() {
  const response = await fetch(withToken("/app/words?lang=" + lang));
  if (response.ok) words = await response.json();
}
const token = new URLSearchParams(location.search).get("token");
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c]));
const withToken = (path) => path + (token ? (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : "");
async function api(path) {
  const response = await fetch(withToken(path));
  if (!response.ok) throw new Error(response.status + " " + await response.text());
  return response.json();
}
function ago(ms) {
  if (!ms) return t("never");
  const minutes = Math.max(0, Math.round((Date.now() - ms) / 60000));
  if (minutes < 1) return t("justNow");
  if (minutes < 60) return minutes + " " + t("minutesAgo");
  if (minutes < 60 * 48) return Math.round(minutes / 60) + " " + t("hoursAgo");
  return Math.round(minutes / 1440) + " " + t("daysAgo");
}
const day = (ms) => new Date(ms).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB");
// Days from the period's end to the submission: a report handed in before the end says so.
const lagWords = (days) => days == null ? "" : days >= 0 ? String(days) : t("beforeEnd").replace("{n}", -days);
function count(value, stale, bad) {
  if (stale) return `<span class="unknown">${t("unknown")}</span>`;
  return `<span class="${bad && value > 0 ? "bad" : ""}">${value}</span>`;
}
function indicatorChart(rows) {
  if (!rows.length) return `<p class="meta">${t("none")}</p>`;
  const height = 26 * rows.length + 10, width = 560;
  const bars = rows.map((row, i) => {
    const share = Math.max(0, Math.min(1.2, row.attainment ?? 0));
    const w = Math.round(share / 1.2 * 300);
    const colour = share >= 1 ? "#2e7d32" : share >= 0.8 ? "#f9a825" : "#c62828";
    return `<text x="0" y="${26 * i + 18}" font-size="12">${esc(row.name).slice(0, 34)}</text>
      <rect x="240" y="${26 * i + 6}" width="${w}" height="16" fill="${colour}" rx="3"></rect>
      <line x1="${240 + 250}" x2="${240 + 250}" y1="${26 * i + 2}" y2="${26 * i + 26}" stroke="#333" stroke-dasharray="3,2"></line>
      <text x="${246 + w}" y="${26 * i + 18}" font-size="12">${row.value ?? "–"} / ${row.target} ${esc(row.measure)}</text>`;
  }).join("");
  return `<svg id="indicator-chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${t("indicators")}">${bars}</svg>`;
}
let reportPeriod = null;
const vnDate = (text) => text ? text.split("-").reverse().join("/") : "";
function reportTable(data) {
  const counts = ["submitted", "late", "missing", "not_yet_due"].map((key) => `<span class="tag report-${key}">${t(key)}: ${data.counts[key]}</span>`).join(" ");
  const options = data.periods.map((code) => `<option ${code === data.period ? "selected" : ""}>${esc(code)}</option>`).join("");
  const rows = data.units.map((row) => `<tr class="report-row" data-status="${row.status}">
      <td>${esc(row.name)}</td><td><span class="tag report-${row.status}">${t(row.status)}</span></td>
      <td>${vnDate(row.submitted_on)}</td><td class="num">${lagWords(row.lag_days)}</td><td class="hide-small">${esc(row.state_name || "")}</td></tr>`).join("");
  return `<p><label for="report-period">${t("period")}</label> <select id="report-period">${options}</select>
      <span class="meta">${vnDate(data.start)} – ${vnDate(data.end)}, ${t("due")} ${vnDate(data.due)}</span> ${counts}</p>
    ${data.units.length ? `<table id="reports"><thead><tr><th>${t("units")}</th><th>${t("reports")}</th><th>${t("submittedOn")}</th><th class="num">${t("lag")}</th><th class="hide-small">${t("reportState")}</th></tr></thead><tbody>${rows}</tbody></table>` : `<p class="meta">${t("none")}</p>`}`;
}
async function showOverview() {
  const [overview, indicators, conflicts, reports] = await Promise.all([api("/api/overview"), api("/api/indicators"), api("/api/conflicts"),
    api("/api/reports" + (reportPeriod ? "?period=" + encodeURIComponent(reportPeriod) : ""))]);
  document.getElementById("where").textContent = overview.unit_name || overview.unit;
  document.getElementById("fresh").textContent = t("updated") + " " + new Date(overview.generated_ms).toLocaleTimeString(lang === "vi" ? "vi-VN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
  const totals = overview.totals;
  const cards = [["items", totals.items], ["overdue", totals.overdue], ["dueSoon", totals.due_soon], ["waiting", totals.waiting_approval], ["conflicts", totals.open_conflicts], ["incidents", overview.incidents]]
    .map(([key, value]) => `<div class="card" data-card="${key}"><div class="n">${value}</div><div class="l">${t(key)}</div></div>`).join("");
  const rows = overview.units.map((row) => {
    const s = row.summary, stale = row.stale;
    const pct = s.items ? Math.round(100 * row.done / s.items) : 0;
    return `<tr class="clickable unit-row" data-unit="${esc(row.unit)}" data-light="${row.light}">
      <td class="indent${Math.min(3, row.depth)}"><span class="light ${row.light}"></span>${esc(row.name)}${stale ? ` <span class="tag stale">${t("stale")}</span>` : ""}</td>
      <td class="num">${s.items}</td>
      <td class="hide-small"><span class="bar"><span style="width:${pct}%"></span></span> ${pct}%</td>
      <td class="num overdue-cell">${count(s.overdue, stale, true)}</td>
      <td class="num hide-small">${count(s.due_soon, stale, false)}</td>
      <td class="num">${count(s.waiting_approval, stale, false)}</td>
      <td class="num">${count(s.open_conflicts, stale, true)}</td>
      <td class="hide-small">${ago(row.last_seen_ms)}</td></tr>`;
  }).join("");
  const conflictList = conflicts.map((c) => `<tr class="clickable conflict-row" data-item="${c.item}">
      <td><span class="tag conflict">${t("conflicts")}</span> ${esc(c.title)}</td><td>${esc(c.unit_name || c.unit)}</td>
      <td>${t("stands")}: ${esc(c.stands?.actor_name || c.stands?.actor)} — ${esc(c.stands?.summary)}<br>${t("lost")}: ${esc(c.lost?.actor_name || c.lost?.actor)} — ${esc(c.lost?.summary)}</td></tr>`).join("");
  document.getElementById("view").innerHTML = `<div class="cards">${cards}</div>
    <h2>${t("units")}</h2>
    <table id="units"><thead><tr><th>${t("units")}</th><th class="num">${t("items")}</th><th class="hide-small">${t("progress")}</th>
      <th class="num">${t("overdue")}</th><th class="num hide-small">${t("dueSoon")}</th><th class="num">${t("waiting")}</th><th class="num">${t("conflicts")}</th><th class="hide-small">${t("lastContact")}</th></tr></thead>
      <tbody>${rows}</tbody></table>
    <h2>${t("conflicts")}</h2>${conflicts.length ? `<table id="conflicts"><tbody>${conflictList}</tbody></table>` : `<p class="meta">${t("none")}</p>`}
    <h2>${t("reports")}</h2>${reportTable(reports)}
    <h2>${t("indicators")}</h2>${indicatorChart(indicators)}`;
  document.getElementById("report-period").onchange = (event) => { reportPeriod = event.target.value; render(); };
  document.querySelectorAll(".unit-row").forEach((row) => row.onclick = () => location.hash = "#/unit/" + row.dataset.unit);
  document.querySelectorAll(".conflict-row").forEach((row) => row.onclick = () => location.hash = "#/item/" + row.dataset.item);
}
async function showUnit(unit) {
  const data = await api("/api/units/" + unit);
  const rows = data.items.map((item) => `<tr class="clickable item-row" data-item="${item.id}">
      <td>${esc(item.title)} ${item.open_conflicts ? `<span class="tag conflict">${t("conflicts")}</span>` : ""}</td>
      <td>${esc(item.state_name || item.state)}</td><td class="${item.overdue ? "bad" : ""}">${esc(item.deadline || "")}</td>
      <td class="hide-small">${esc(item.assignee || "")}</td><td class="num">${item.percent}%</td></tr>`).join("");
  document.getElementById("view").innerHTML = `<p><a href="#/">${t("back")}</a></p><h2>${esc(data.name || data.unit)}</h2>
    <table id="items"><thead><tr><th>${t("title")}</th><th>${t("state")}</th><th>${t("deadline")}</th><th class="hide-small">${t("assignee")}</th><th class="num">${t("progress")}</th></tr></thead><tbody>${rows}</tbody></table>`;
  document.querySelectorAll(".item-row").forEach((row) => row.onclick = () => location.hash = "#/item/" + row.dataset.item);
}
async function showItem(id) {
  const item = await api("/api/items/" + id);
  const entries = item.history.map((entry) => {
    const outcome = typeof entry.outcome === "string" ? entry.outcome : Object.keys(entry.outcome)[0];
    return `<li class="${outcome}"><strong>${esc(entry.actor_name || entry.actor)}</strong> — ${esc(entry.summary)}
      <span class="tag">${esc(outcome)}</span><div class="meta">${esc(entry.kind)} · ${t("written")} ${day(entry.written_ms)} · ${t("received")} ${day(entry.received_ms)} · ${esc(String(entry.origin).slice(0, 8))}</div></li>`;
  }).join("");
  document.getElementById("view").innerHTML = `<p><a href="#/unit/${esc(item.unit)}">${t("back")}</a></p>
    <h2 id="item-title">${esc(item.title)}</h2>
    <p>${t("state")}: <strong>${esc(item.state_name || item.state)}</strong> · ${t("deadline")}: ${esc(item.deadline || "–")} · ${t("progress")}: ${item.percent}%</p>
    <h2>${t("history")}</h2><ul class="timeline" id="history">${entries}</ul>`;
}
async function render() {
  if (!Object.keys(words).length) await loadWords();
  document.getElementById("lang").textContent = t("other");
  document.documentElement.lang = lang;
  const hash = location.hash.replace(/^#\/?/, "");
  try {
    if (hash.startsWith("unit/")) await showUnit(hash.slice(5));
    else if (hash.startsWith("item/")) await showItem(hash.slice(5));
    else await showOverview();
  } catch (error) {
    document.getElementById("view").innerHTML = `<p class="bad">${esc(error.message)}</p>`;
  }
}
document.getElementById("lang").onclick = async () => {
  lang = lang === "vi" ? "en" : "vi";
  localStorage.setItem("nhip-lang", lang);
  await loadWords();
  render();
};
window.addEventListener("hashchange", render);
// Live: the node tells when its log committed (the change stream); the page shown is drawn
// again then — a burst of commits (a village's backlog arriving) is one redraw.
let redraw = null;
if (window.EventSource) {
  const source = new EventSource(withToken("/api/changes"));
  source.addEventListener("changed", () => {
    clearTimeout(redraw);
    redraw = setTimeout(render, 300);
  });
}
render();
