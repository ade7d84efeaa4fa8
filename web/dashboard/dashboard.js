// Switchboard analytics dashboard: asks for the admin token (kept in sessionStorage), loads
// /v1/admin/analytics, and draws cards, SVG bar charts and a table. Every value goes into the page
// through textContent or SVG attributes built with DOM APIs; nothing is parsed as HTML.
"use strict";

const TOKEN_KEY = "switchboard.adminToken";
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function show(loggedIn) {
  $("login").hidden = loggedIn;
  $("board").hidden = !loggedIn;
  $("forget").hidden = !loggedIn;
}

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function query(withGroup) {
  const params = new URLSearchParams();
  for (const name of ["from", "to", "tenant"]) {
    const value = $(name).value.trim();
    if (value) params.set(name, value);
  }
  if (withGroup) params.set("group_by", $("group_by").value);
  return params.toString();
}

async function call(path) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + token() } });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    show(false);
    throw new Error("the token was refused");
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error(body && body.error ? body.error.message : "HTTP " + response.status);
  }
  return response;
}

const percent = (x) => (x == null ? "–" : (100 * x).toFixed(1) + "%");
const fixed = (x, digits) => (x == null ? "–" : Number(x).toFixed(digits));
const minutes = (ms) => (ms == null ? null : ms / 60000);
const hours = (ms) => (ms == null ? null : ms / 3600000);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function svgNode(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text != null) node.textContent = text;
  return node;
}

function renderCards(total) {
  const cards = $("cards");
  cards.replaceChildren();
  const items = [
    ["Tickets", String(total.tickets)],
    ["Containment", percent(total.containment_rate)],
    ["Escalation rate", percent(total.escalation_rate)],
    ["Bot first response p50", fixed(total.bot_first_response_ms.p50, 0) + " ms"],
    ["Human first response p50", fixed(minutes(total.human_first_response_ms.p50), 1) + " min"],
    ["Resolution p90", fixed(hours(total.resolution_ms.p90), 1) + " h"],
    ["CSAT bot (4-5)", fixed(total.csat.bot.mean, 2) + " (" + percent(total.csat.bot.share_4_5) + ")"],
    ["CSAT human (4-5)", fixed(total.csat.human.mean, 2) + " (" + percent(total.csat.human.share_4_5) + ")"],
    ["SLA breaches", total.sla_breaches.bot_first_response + " / " + total.sla_breaches.human_first_response + " / " + total.sla_breaches.resolution],
  ];
  for (const [label, value] of items) {
    const card = element("div", null, "card");
    card.append(element("div", label, "label"), element("div", value, "value"));
    cards.append(card);
  }
}

// A horizontal bar chart: rows of [label, [values...]], one bar per series, scaled to `max`.
function barChart(container, rows, max, format) {
  const rowHeight = 14 * Math.max(1, rows.length ? rows[0][1].length : 1) + 8;
  const width = 360, labelWidth = 120, height = Math.max(rowHeight * rows.length, 20);
  const svg = svgNode("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const scale = (width - labelWidth - 60) / (max || 1);
  rows.forEach(([label, values], row) => {
    const top = row * rowHeight;
    svg.append(svgNode("text", { x: 0, y: top + 12 }, label.length > 18 ? label.slice(0, 17) + "…" : label));
    values.forEach((value, series) => {
      const y = top + series * 14;
      const length = value == null ? 0 : Math.max(1, value * scale);
      svg.append(svgNode("rect", { x: labelWidth, y, width: length, height: 12, class: series ? "b" : "a" }));
      svg.append(svgNode("text", { x: labelWidth + length + 4, y: y + 10 }, format(value)));
    });
  });
  svg.append(svgNode("line", { x1: labelWidth, y1: 0, x2: labelWidth, y2: height, class: "axis" }));
  container.replaceChildren(svg);
}

function maxOf(rows) {
  return Math.max(0, ...rows.flatMap(([, values]) => values.filter((v) => v != null)));
}

function renderCharts(report) {
  const groups = report.groups;
  const chart = (id, rows, format, max) => barChart($(id), rows, max == null ? maxOf(rows) : max, format);
  chart("chart-containment", groups.map((g) => [g.key, [g.containment_rate]]), percent, 1);
  const reasons = Object.entries(report.total.escalations_by_reason).map(([name, r]) => [name, [r.rate]]);
  chart("chart-reasons", reasons, percent, 1);
  chart("chart-human", groups.map((g) => [g.key, [minutes(g.human_first_response_ms.p50), minutes(g.human_first_response_ms.p90)]]), (v) => fixed(v, 1));
  chart("chart-resolution", groups.map((g) => [g.key, [hours(g.resolution_ms.p50), hours(g.resolution_ms.p90)]]), (v) => fixed(v, 1));
  chart("chart-csat", groups.map((g) => [g.key, [g.csat.bot.mean, g.csat.human.mean]]), (v) => fixed(v, 2), 5);
}

const COLUMNS = [
  ["Group", (g) => g.key],
  ["Tickets", (g) => String(g.tickets)],
  ["Contained", (g) => percent(g.containment_rate)],
  ["Escalated", (g) => percent(g.escalation_rate)],
  ["Bot 1st p50 ms", (g) => fixed(g.bot_first_response_ms.p50, 0)],
  ["Bot 1st p90 ms", (g) => fixed(g.bot_first_response_ms.p90, 0)],
  ["Human 1st p50 min", (g) => fixed(minutes(g.human_first_response_ms.p50), 1)],
  ["Human 1st p90 min", (g) => fixed(minutes(g.human_first_response_ms.p90), 1)],
  ["Resolution p50 h", (g) => fixed(hours(g.resolution_ms.p50), 1)],
  ["Resolution p90 h", (g) => fixed(hours(g.resolution_ms.p90), 1)],
  ["CSAT bot", (g) => fixed(g.csat.bot.mean, 2)],
  ["CSAT human", (g) => fixed(g.csat.human.mean, 2)],
  ["SLA breaches", (g) => g.sla_breaches.bot_first_response + "/" + g.sla_breaches.human_first_response + "/" + g.sla_breaches.resolution],
];

// The side-by-side tables of intents and articles: what matters to spot a weak answer.
const WEAK_COLUMNS = [
  ["Tickets", (g) => String(g.tickets)],
  ["Contained", (g) => percent(g.containment_rate)],
  ["CSAT bot", (g) => fixed(g.csat.bot.mean, 2)],
  ["CSAT human", (g) => fixed(g.csat.human.mean, 2)],
];

function renderTable(id, groups, columns) {
  const head = $(id).tHead.rows[0];
  head.replaceChildren(...columns.map(([title]) => element("th", title)));
  const body = $(id).tBodies[0];
  body.replaceChildren(...groups.map((g) => {
    const row = element("tr");
    row.append(...columns.map(([, cell]) => element("td", cell(g))));
    return row;
  }));
}

async function loadWeak() {
  const params = new URLSearchParams(query(false));
  const reports = await Promise.all(["intent", "article"].map(async (groupBy) => {
    params.set("group_by", groupBy);
    return (await call("/v1/admin/analytics?" + params.toString())).json();
  }));
  reports.forEach((report, index) => {
    const groups = report.groups.slice().sort((a, b) =>
      (a.containment_rate ?? 2) - (b.containment_rate ?? 2) || b.tickets - a.tickets);
    const title = index === 0 ? "Intent" : "Article";
    renderTable(index === 0 ? "by-intent" : "by-article", groups,
      [[title, (g) => g.key]].concat(WEAK_COLUMNS));
  });
}

async function load() {
  setStatus("Loading…");
  try {
    const report = await (await call("/v1/admin/analytics?" + query(true))).json();
    renderCards(report.total);
    renderCharts(report);
    renderTable("groups", report.groups, COLUMNS);
    await loadWeak();
    setStatus(report.total.tickets + " tickets");
  } catch (error) {
    setStatus(error.message, true);
  }
}

async function downloadCsv() {
  try {
    const blob = await (await call("/v1/admin/analytics/tickets.csv?" + query(false))).blob();
    const link = element("a");
    link.href = URL.createObjectURL(blob);
    link.download = "tickets.csv";
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  } catch (error) {
    setStatus(error.message, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    show(true);
    load();
  });
  $("forget").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    show(false);
  });
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  $("csv").addEventListener("click", downloadCsv);
  show(Boolean(token()));
  if (token()) load();
});
