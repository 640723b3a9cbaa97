// examfn educator results: downloads of an exam for LMSs (Moodle XML, GIFT,
// QTI 1.2 for Canvas, QTI 2.1), the attempts CSV, every attempt (each one
// viewable as the student answered it), per-student exceptions (extra time,
// another attempt) and the item analysis with its charts, at
// #/reports/<exam>; one attempt at #/attempt/<exam>/<attempt id>. Loaded
// after app.js and built on its helpers (h, svg, show, api, errorBox, say,
// okBox, announce, when, title, resultView, me, route). Charts are inline SVG
// drawn at the page's own width in pixels (labels stay 13 px on a phone and
// on a desktop) with attributes only (the CSP allows no inline styles).
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
    say(msg, errorBox(e));
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

// The width a chart is drawn at: the page's content width, in pixels.
function chartWidth() {
  const w = $main().clientWidth || 600;
  return Math.max(260, Math.min(720, w - 24));
}

// A label cut to fit `px` pixels at about 7.5 px a character.
function fit(text, px) {
  const n = Math.max(4, Math.floor(px / 7.5));
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

// Facility per question as horizontal bars (one row each, flagged questions red),
// with the too-hard and too-easy lines.
function facilityChart(a) {
  const qs = a.questions, W = chartWidth(), row = 26, top = 22, lw = 44, rw = 48;
  const H = top + qs.length * row + 8;
  const x = (f) => lw + f * (W - lw - rw);
  const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, class: "chart px", role: "img", "data-testid": "facility-chart",
    "aria-label": "Facility per question: " + qs.map((q) => "Q" + q.number + " " + pct(q.facility) +
      (q.flags.length ? " (" + q.flags.map((f) => FLAG_TEXT[f] || f).join(", ") + ")" : "")).join(", ") });
  for (const [f, label, anchor] of [[a.thresholds.too_hard_below, "too hard below " + pct(a.thresholds.too_hard_below), "start"],
    [a.thresholds.too_easy_above, "too easy above " + pct(a.thresholds.too_easy_above), "end"]]) {
    chart.append(svg("line", { x1: x(f), x2: x(f), y1: top - 4, y2: H - 4, stroke: "#8a5a00", "stroke-dasharray": "4 3" }));
    chart.append(svg("text", { x: x(f) + (anchor === "start" ? 3 : -3), y: 13, "text-anchor": anchor, class: "axis" }, label));
  }
  qs.forEach((q, i) => {
    const y = top + i * row;
    const f = q.facility === null ? 0 : q.facility;
    chart.append(svg("text", { x: lw - 6, y: y + 17, "text-anchor": "end" }, "Q" + q.number));
    // Not class "bar": app.css colours those, and CSS would override the fill attribute.
    chart.append(svg("rect", { class: "facility-bar", x: lw, y: y + 4, width: Math.max(1, x(f) - lw), height: row - 8,
      fill: q.flags.length ? "#b3261e" : "#1f5fbf", "data-question": String(q.number) }));
    chart.append(svg("text", { x: x(f) + 4, y: y + 17 }, pct(q.facility)));
  });
  return chart;
}

// How often each option was picked: horizontal bars, the correct option green.
function optionChart(q) {
  const rows = q.options
    .concat(q.other_answers ? [{ option: "(no longer an option)", picked: q.other_answers, correct: false }] : [])
    .concat(q.unanswered ? [{ option: "(not answered)", picked: q.unanswered, correct: false }] : []);
  const W = chartWidth(), rh = 26, lw = Math.min(260, Math.round(W * 0.45)), H = rows.length * rh + 4;
  const max = Math.max(1, ...rows.map((o) => o.picked));
  const chart = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, class: "chart px", role: "img", "data-testid": "options-chart",
    "aria-label": "Options picked: " + rows.map((o) => o.option + " " + o.picked + (o.correct ? " (correct)" : "")).join(", ") });
  rows.forEach((o, i) => {
    const y = 2 + i * rh, bw = Math.round((o.picked / max) * (W - lw - 40));
    const label = svg("text", { x: lw - 6, y: y + 17, "text-anchor": "end" }, fit(o.option, lw - 24) + (o.correct ? " ✓" : ""));
    label.append(svg("title", {}, o.option));
    chart.append(label);
    chart.append(svg("rect", { class: "option-bar", x: lw, y: y + 4, width: Math.max(1, bw), height: rh - 8,
      fill: o.correct ? "#1d7a3a" : "#5b6470" }));
    chart.append(svg("text", { x: lw + bw + 4, y: y + 17 }, String(o.picked)));
  });
  return chart;
}

function analysisView(a) {
  const t = a.thresholds;
  const g = Math.round(t.group_fraction * 100);
  const minFlags = t.min_attempts_for_flags || 5;
  return [
    h("div", { class: "stats", "data-testid": "analysis-stats" },
      h("div", {}, h("strong", {}, String(a.attempts)), "attempts"),
      h("div", {}, h("strong", {}, a.mean_percentage === null ? "—" : Math.round(a.mean_percentage) + "%"), "mean score"),
      h("div", {}, h("strong", {}, a.group_size === null ? "—" : String(a.group_size)),
        a.group_size === null ? "top/bottom group (needs " + t.min_attempts_for_discrimination + " attempts)" : "attempts in each of the top and bottom " + g + " %"),
      a.automatic ? h("div", {}, h("strong", {}, String(a.automatic)), "submitted automatically") : null),
    h("details", { class: "explain", "data-testid": "explain" }, h("summary", {}, "What these numbers mean"),
      h("p", {}, "Facility is the share of attempts that got a question right. A question is flagged too easy above " + pct(t.too_easy_above) +
        " and too hard below " + pct(t.too_hard_below) + "."),
      h("p", {}, "Discrimination compares the strongest and the weakest attempts: the share right among the top " + g +
        " % of attempts by total score minus the share right among the bottom " + g + " %. It runs from −1 to 1; below 0 the weaker " +
        "students did better on the question than the stronger ones, which often means an unclear question or a wrong key. It needs at least " +
        t.min_attempts_for_discrimination + " attempts."),
      h("p", {}, "Flags appear once at least " + minFlags + " attempts had a question: with fewer, one student more or less changes them.")),
    h("h2", {}, "Facility per question"), facilityChart(a),
    h("h2", {}, "Questions"),
    h("ol", { class: "analysis", "data-testid": "analysis" }, a.questions.map((q) => h("li", { "data-question": String(q.number) },
      h("strong", {}, q.question),
      h("p", {},
        "Facility ", h("b", { "data-testid": "facility" }, num(q.facility)),
        " · discrimination ", h("b", { "data-testid": "discrimination" }, num(q.discrimination)),
        " · " + q.attempts + (q.attempts === 1 ? " attempt" : " attempts"),
        ...q.flags.map((f) => [" ", h("span", { class: "state state-failed", "data-flag": f }, FLAG_TEXT[f] || f)]),
        (q.tentative_flags || []).length
          ? h("span", { class: "hint", "data-testid": "tentative" }, " · may be " + q.tentative_flags.map((f) => FLAG_TEXT[f] || f).join(", ") +
              " (too few attempts to judge: " + q.attempts + " of " + minFlags + ")")
          : null),
      optionChart(q)))),
  ];
}

// Every attempt, newest first, each with a link to see it as the student answered it.
function attemptsView(name, rows) {
  if (!rows.length) return h("p", { "data-testid": "attempts-empty" }, "No attempts yet.");
  return h("div", { class: "exam-table" }, h("table", { class: "stack", "data-testid": "attempts" },
    h("thead", {}, h("tr", {}, ["Student", "Submitted", "Score", "Result", ""].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((r) => h("tr", { "data-attempt": r.attempt_id || "" },
      h("td", { "data-label": "Student" }, r.email || "—"),
      h("td", { "data-label": "Submitted" }, when(r.submitted_at) || "—",
        r.submission === "automatic" ? h("span", { class: "badge auto" }, "automatically") : null),
      h("td", { "data-label": "Score" }, r.score + " / " + r.total + " (" + r.percentage + "%)" + (r.unanswered ? ", " + r.unanswered + " unanswered" : "")),
      h("td", { "data-label": "Result" }, h("span", { class: r.result === "passed" ? "correct" : "incorrect" }, r.result || "—")),
      h("td", { "data-label": "" }, r.attempt_id
        ? h("a", { href: "#/attempt/" + encodeURIComponent(name) + "/" + encodeURIComponent(r.attempt_id), "aria-label": "View the attempt of " + r.email }, "View")
        : "—"))))));
}

// Per-student exceptions: extra minutes on every attempt, more attempts.
function studentsView(name, data, reload) {
  const base = "/educator/exams/" + encodeURIComponent(name) + "/students/";
  const msg = h("div", { role: "status", "data-testid": "students-message" });
  const saveRow = async (email, minutes, attempts, button) => {
    button.disabled = true;
    try {
      await api(base + encodeURIComponent(email), { method: "PUT",
        json: { extra_time_seconds: Math.round(Number(minutes || 0) * 60), extra_attempts: Number(attempts || 0) } });
      say(msg, okBox("Saved for " + email + ": " + (Number(minutes) ? minutes + " extra minutes" : "no extra time") + ", " +
        (Number(attempts) ? plural(Number(attempts), "extra attempt", "extra attempts") : "no extra attempts") + "."));
      announce("Saved for " + email + ".");
    } catch (e) { say(msg, errorBox(e)); } finally { button.disabled = false; }
  };
  const rows = data.students || [];
  const table = rows.length ? h("div", { class: "exam-table" }, h("table", { class: "stack", "data-testid": "students" },
    h("thead", {}, h("tr", {}, ["Student", "Attempts", "Best", "Extra minutes", "Extra attempts", ""].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map((r, i) => {
      const mins = h("input", { type: "number", min: 0, max: 10080, value: Math.round((r.extra_time_seconds || 0) / 60), id: "extra-time-" + i,
        "aria-label": "Extra minutes for " + r.email, inputmode: "numeric" });
      const more = h("input", { type: "number", min: 0, max: 100, value: r.extra_attempts || 0, id: "extra-attempts-" + i,
        "aria-label": "Extra attempts for " + r.email, inputmode: "numeric" });
      const b = h("button", { type: "button", class: "secondary", "aria-label": "Save the exceptions of " + r.email }, "Save");
      b.addEventListener("click", () => saveRow(r.email, mins.value, more.value, b));
      return h("tr", { "data-student": r.email },
        h("td", { "data-label": "Student" }, r.email, r.in_progress ? h("span", { class: "hint" }, " (taking it now)") : null),
        h("td", { "data-label": "Attempts" }, String(r.results)),
        h("td", { "data-label": "Best" }, r.best_percentage === null ? "—" : r.best_percentage + "%"),
        h("td", { "data-label": "Extra minutes" }, mins),
        h("td", { "data-label": "Extra attempts" }, more),
        h("td", { "data-label": "" }, b));
    })))) : h("p", { class: "hint" }, "No student has taken it yet.");
  const email = h("input", { id: "exception-email", type: "email", placeholder: "student@school.edu", autocomplete: "off" });
  const mins = h("input", { id: "exception-minutes", type: "number", min: 0, max: 10080, value: 0, inputmode: "numeric" });
  const more = h("input", { id: "exception-attempts", type: "number", min: 0, max: 100, value: 1, inputmode: "numeric" });
  const add = h("button", { type: "submit", class: "secondary", "data-testid": "add-exception" }, "Save exception");
  const form = h("form", { class: "row", "aria-label": "An exception for one student" },
    h("div", {}, h("label", { for: "exception-email" }, "Student's email"), email),
    h("div", {}, h("label", { for: "exception-minutes" }, "Extra minutes"), mins),
    h("div", {}, h("label", { for: "exception-attempts" }, "Extra attempts"), more),
    h("div", {}, add));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!email.value.trim()) { say(msg, errorBox("Enter the student's email.")); return; }
    await saveRow(email.value.trim(), mins.value, more.value, add);
    reload();
  });
  return [h("p", { class: "hint" }, "Extra time is added to each of the student's attempts (and to the closing time for them); " +
    "extra attempts are added to the exam's limit."), table, form, msg];
}

async function reportsPage(name) {
  clearTimeout(pollTimer);
  const heading = "Results " + title(name);
  show(h("h1", {}, heading), h("p", {}, "Loading…"));
  const base = "/educator/exams/" + encodeURIComponent(name);
  const msg = h("div", { role: "status", "data-testid": "download-status" });
  const downloads = h("div", { class: "card", "data-testid": "downloads" },
    h("h2", {}, "Downloads"),
    h("p", {}, "Import the exam into your LMS, or take the attempts to a spreadsheet."),
    h("div", { class: "row-buttons" }, REPORT_DOWNLOADS.map((d) => {
      const b = h("button", { type: "button", class: "secondary", "data-testid": "download-" + d.id }, d.label);
      b.addEventListener("click", () => reportDownload(name, d, b, msg));
      return b;
    })), msg);
  let analysis, attempts, students;
  try {
    [analysis, attempts, students] = await Promise.all([
      api(base + "/analysis").then((r) => r.data),
      api(base + "/attempts").then((r) => r.data),
      api(base + "/students").then((r) => r.data),
    ]);
  } catch (e) {
    show(h("h1", {}, heading), errorBox(e), h("p", {}, h("a", { href: "#/" }, "Back")));
    return;
  }
  const studentsBox = h("section", { class: "card", "aria-labelledby": "students-title", "data-testid": "students-section" },
    h("h2", { id: "students-title" }, "Students and exceptions"));
  const fill = (data) => studentsBox.replaceChildren(studentsBox.firstChild, ...studentsView(name, data, reload));
  const reload = async () => { try { fill((await api(base + "/students")).data); } catch (e) { studentsBox.append(errorBox(e)); } };
  fill(students);
  const body = analysis.attempts
    ? analysisView(analysis)
    : [h("p", { "data-testid": "analysis-empty" }, "No attempts yet: the item analysis appears once students have taken the exam.")];
  show(h("h1", {}, heading), downloads,
    h("h2", {}, "Attempts"), attemptsView(name, attempts.attempts || []),
    studentsBox,
    h("h2", {}, "Item analysis"), ...body,
    h("p", {}, h("a", { href: "#/board/" + encodeURIComponent(name) }, "Scoreboard"), " · ", h("a", { href: "#/" }, "Back")));
}

// One attempt as the student answered it, in the order they saw the questions.
async function attemptPage(name, id) {
  const heading = "Attempt at " + title(name);
  show(h("h1", {}, heading), h("p", {}, "Loading…"));
  try {
    const r = (await api("/educator/exams/" + encodeURIComponent(name) + "/attempts/" + encodeURIComponent(id))).data;
    show(h("h1", {}, heading), h("p", { "data-testid": "attempt-student" }, "Student: " + r.email),
      ...resultView(Object.assign({}, r, { answers_shown: true })),
      h("p", {}, h("a", { href: "#/reports/" + encodeURIComponent(name) }, "Back to the results")));
  } catch (e) {
    show(h("h1", {}, heading), errorBox(e), h("p", {}, h("a", { href: "#/reports/" + encodeURIComponent(name) }, "Back to the results")));
  }
}

// Take #/reports/<exam> and #/attempt/<exam>/<id> before app.js's router sees them.
const reportsBaseRoute = route;
// eslint-disable-next-line no-global-assign
route = async function () {
  if (me && me.role === "educator") {
    const hash = location.hash || "";
    const m = hash.match(/^#\/reports\/(.+)$/);
    const a = hash.match(/^#\/attempt\/([^/]+)\/(.+)$/);
    if (m || a) {
      clearTimeout(pollTimer);
      clearInterval(attemptTimer);
      guard = null;
      lastHash = hash;
      if (m) return reportsPage(decodeURIComponent(m[1]));
      return attemptPage(decodeURIComponent(a[1]), decodeURIComponent(a[2]));
    }
  }
  return reportsBaseRoute();
};
