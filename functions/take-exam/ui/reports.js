// examfn educator reports: downloads of an exam for LMSs (Moodle XML, GIFT,
// QTI 1.2 for Canvas, QTI 2.1), the attempts CSV, and the item analysis with
// its charts, at #/reports/<exam>. Loaded after app.js and built on its
// helpers (h, svg, show, api, errorBox, announce, me, route): it wraps
// route() for its own page and adds a "Reports" link to each available exam
// in the educator's table, so app.js needs no change. Charts are inline SVG
// drawn with attributes only (the CSP allows no inline styles).
"use strict";

const REPORT_DOWNLOADS = [
  { id: "moodle", label: "Moodle XML", path: "/export?format=moodle" },
  { id: "gift", label: "GIFT", path: "/export?format=gift" },
  { id: "qti12", label: "QTI 1.2 (Canvas)", path: "/export?format=qti12" },
  { id: "qti21", label: "QTI 2.1", path: "/export?format=qti21" },
  { id: "csv", label: "Results CSV", path: "/results.csv" },
];

// Fetch with the Bearer token and save the body under the server's file name.
async function reportDownload(name, d, button, msg) {
  button.disabled = true;
  msg.replaceChildren();
  try {
    const token = sessionStorage.getItem(TOKEN);
    const resp = await fetch("/educator/exams/" + encodeURIComponent(name) + d.path,
      { headers: token ? { Authorization: "Bearer " + token } : {} });
    if (!resp.ok) {
      let m = "HTTP " + resp.status;
      try { m = (await resp.json()).error || m; } catch (_) { /* not JSON */ }
      throw new Error(m);
    }
    const cd = resp.headers.get("Content-Disposition") || "";
    const file = (cd.match(/filename="([^"]+)"/) || [])[1] || "export";
    const url = URL.createObjectURL(await resp.blob());
    const a = h("a", { href: url, download: file, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    msg.replaceChildren(h("span", { class: "correct" }, "Downloaded " + file));
    announce("Downloaded " + file);
  } catch (e) {
    msg.replaceChildren(errorBox(e));
  } finally {
    button.disabled = false;
  }
}

function pct(x) {
  return x === null || x === undefined ? "—" : Math.round(x * 100) + "%";
}

function num(x) {
  return x === null || x === undefined ? "—" : x.toFixed(2);
}

const FLAG_TEXT = { too_easy: "too easy", too_hard: "too hard", negative_discrimination: "negative discrimination" };

// Facility per question as bars (flagged questions red), with the too-hard and too-easy lines.
function facilityChart(a) {
  const qs = a.questions, W = 330, H = 160, top = 16, pad = 28;
  const bw = (W - pad) / Math.max(1, qs.length);
  const y = (f) => top + (1 - f) * (H - top);
  const chart = svg("svg", { viewBox: "0 0 " + W + " " + (H + 30), class: "chart", role: "img", "data-testid": "facility-chart",
    "aria-label": "Facility per question: " + qs.map((q) => "Q" + q.number + " " + pct(q.facility) +
      (q.flags.length ? " (" + q.flags.map((f) => FLAG_TEXT[f] || f).join(", ") + ")" : "")).join(", ") });
  qs.forEach((q, i) => {
    const x = pad + i * bw;
    const f = q.facility === null ? 0 : q.facility;
    // Not class "bar": app.css colours those, and CSS would override the fill attribute.
    chart.append(svg("rect", { class: "facility-bar", x: x + 2, y: y(f), width: Math.max(1, bw - 4), height: H - y(f),
      fill: q.flags.length ? "#b3261e" : "#1f5fbf", "data-question": String(q.number) }));
    chart.append(svg("text", { x: x + bw / 2, y: y(f) - 3, "text-anchor": "middle" }, pct(q.facility)));
    chart.append(svg("text", { x: x + bw / 2, y: H + 14, "text-anchor": "middle" }, "Q" + q.number));
  });
  for (const f of [a.thresholds.too_hard_below, a.thresholds.too_easy_above]) {
    chart.append(svg("line", { x1: pad, x2: W, y1: y(f), y2: y(f), stroke: "#8a5a00", "stroke-dasharray": "4 3" }));
    chart.append(svg("text", { x: pad - 2, y: y(f) + 3, "text-anchor": "end" }, String(f)));
  }
  chart.append(svg("text", { x: W / 2, y: H + 28, "text-anchor": "middle" }, "facility (proportion correct)"));
  return chart;
}

// How often each option was picked: horizontal bars, the correct option green.
function optionChart(q) {
  const rows = q.options.concat(q.other_answers ? [{ option: "(no longer an option)", picked: q.other_answers, correct: false }] : []);
  const W = 330, rh = 22, lw = 120, H = rows.length * rh + 4;
  const max = Math.max(1, ...rows.map((o) => o.picked));
  const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", role: "img", "data-testid": "options-chart",
    "aria-label": "Options picked: " + rows.map((o) => o.option + " " + o.picked + (o.correct ? " (correct)" : "")).join(", ") });
  rows.forEach((o, i) => {
    const y = 2 + i * rh, bw = Math.round((o.picked / max) * (W - lw - 40));
    const label = o.option.length > 18 ? o.option.slice(0, 17) + "…" : o.option;
    chart.append(svg("text", { x: lw - 4, y: y + 15, "text-anchor": "end" }, label + (o.correct ? " ✓" : "")));
    chart.append(svg("rect", { class: "option-bar", x: lw, y: y + 3, width: Math.max(1, bw), height: rh - 6,
      fill: o.correct ? "#1d7a3a" : "#5b6470" }));
    chart.append(svg("text", { x: lw + bw + 4, y: y + 15 }, String(o.picked)));
  });
  return chart;
}

function analysisView(a) {
  const t = a.thresholds;
  return [
    h("div", { class: "stats", "data-testid": "analysis-stats" },
      h("div", {}, h("strong", {}, String(a.attempts)), "attempts"),
      h("div", {}, h("strong", {}, a.mean_percentage === null ? "—" : a.mean_percentage + "%"), "mean"),
      h("div", {}, h("strong", {}, a.group_size === null ? "—" : String(a.group_size)), "per 27 % group")),
    h("p", { class: "progress" },
      "Facility is the proportion of attempts that got a question right; flagged too easy above " + t.too_easy_above +
      " and too hard below " + t.too_hard_below + ". Discrimination is the proportion right in the top " +
      Math.round(t.group_fraction * 100) + " % of attempts by total score minus that in the bottom " +
      Math.round(t.group_fraction * 100) + " % (from " + t.min_attempts_for_discrimination +
      " attempts on); below 0 it is flagged."),
    h("h2", {}, "Facility per question"), facilityChart(a),
    h("h2", {}, "Questions"),
    h("ol", { class: "analysis", "data-testid": "analysis" }, a.questions.map((q) => h("li", { "data-question": String(q.number) },
      h("strong", {}, q.question),
      h("p", {},
        "Facility ", h("b", { "data-testid": "facility" }, num(q.facility)),
        " · discrimination ", h("b", { "data-testid": "discrimination" }, num(q.discrimination)),
        " · " + q.attempts + " attempts",
        ...q.flags.map((f) => [" ", h("span", { class: "state state-failed", "data-flag": f }, FLAG_TEXT[f] || f)])),
      optionChart(q)))),
  ];
}

async function reportsPage(name) {
  clearTimeout(pollTimer);
  const title = "Reports " + name.replace(/\.json$/, "");
  show(h("h1", {}, title), h("p", {}, "Loading…"));
  const msg = h("div", { role: "status", "data-testid": "download-status" });
  const downloads = h("div", { class: "card", "data-testid": "downloads" },
    h("h2", {}, "Downloads"),
    h("p", {}, "Import the exam into your LMS, or take the attempts to a spreadsheet."),
    h("div", { class: "row" }, REPORT_DOWNLOADS.map((d) => {
      const b = h("button", { type: "button", class: "secondary", "data-testid": "download-" + d.id }, d.label);
      b.addEventListener("click", () => reportDownload(name, d, b, msg));
      return b;
    })), msg);
  let body;
  try {
    const a = (await api("/educator/exams/" + encodeURIComponent(name) + "/analysis")).data;
    body = a.attempts ? analysisView(a) : [h("p", { "data-testid": "analysis-empty" }, "No attempts yet: the item analysis appears once students have taken the exam.")];
  } catch (e) {
    body = [errorBox(e)];
  }
  show(h("h1", {}, title), downloads, h("h2", {}, "Item analysis"), ...body,
    h("p", {}, h("a", { href: "#/board/" + encodeURIComponent(name) }, "Scoreboard"), " · ", h("a", { href: "#/" }, "Back")));
}

// Take #/reports/<exam> before app.js's router sees it.
const reportsBaseRoute = route;
// eslint-disable-next-line no-global-assign
route = async function () {
  const m = (location.hash || "").match(/^#\/reports\/(.+)$/);
  if (m && me && me.role === "educator") return reportsPage(decodeURIComponent(m[1]));
  return reportsBaseRoute();
};

// A "Reports" link beside each available exam's actions in the educator's table.
new MutationObserver(() => {
  for (const row of document.querySelectorAll("tr[data-exam]")) {
    const cell = row.lastElementChild;
    if (!cell || !cell.querySelector("a") || cell.querySelector("a[data-reports]")) continue;
    cell.append(" · ", h("a", { href: "#/reports/" + encodeURIComponent(row.dataset.exam), "data-reports": "" }, "Reports"));
  }
}).observe(document.getElementById("main") || document.documentElement, { childList: true, subtree: true });
