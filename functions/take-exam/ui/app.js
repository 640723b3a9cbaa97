// examfn take-exam web UI: a small hash-routed app over the JSON API.
// The token lives in sessionStorage and goes out as a Bearer header. Every
// string from the server is inserted as text (never as HTML).
"use strict";

const TOKEN = "examfn.token";
const $main = () => document.getElementById("main");
let authMode = "gateway";
let me = null;
let pollTimer = null;

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function show(...nodes) {
  const m = $main();
  // Optional parts come as null/false: left out (replaceChildren would print "null").
  m.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  const title = m.querySelector("h1");
  if (title) document.title = title.textContent + " · examfn";
}

function announce(text) {
  document.getElementById("status").textContent = text;
}

function errorBox(e) {
  return h("p", { class: "error", role: "alert" }, e && e.message ? e.message : String(e));
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  const token = sessionStorage.getItem(TOKEN);
  if (token) headers["Authorization"] = "Bearer " + token;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  }
  const resp = await fetch(path, { method: opts.method || "GET", headers, body });
  let data = null;
  const text = await resp.text();
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!resp.ok) {
    const msg = (data && data.error) || ("HTTP " + resp.status);
    if (resp.status === 401 && !path.startsWith("/dev/")) {
      sessionStorage.removeItem(TOKEN);
      me = null;
      renderWho();
      location.hash = "#/signin";
    }
    throw new ApiError(resp.status, msg);
  }
  return { status: resp.status, data };
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// ---- identity -------------------------------------------------------------

function renderWho() {
  const who = document.getElementById("who");
  const nav = document.getElementById("nav");
  if (!me) {
    who.replaceChildren();
    nav.replaceChildren();
    return;
  }
  who.replaceChildren(
    h("span", { "data-testid": "who" }, me.email + " (" + me.role + ")"),
    h("button", { class: "secondary", type: "button", onclick: signOut }, "Sign out"),
  );
  nav.replaceChildren(
    ...(me.role === "student"
      ? [h("a", { href: "#/" }, "Exams"), h("a", { href: "#/results" }, "My results")]
      : [h("a", { href: "#/" }, "Exams & uploads")]),
  );
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  me = null;
  renderWho();
  location.hash = "#/signin";
  route();
}

async function loadMe() {
  if (!sessionStorage.getItem(TOKEN) && authMode === "development") return null;
  try {
    me = (await api("/me")).data;
  } catch (_) {
    me = null;
  }
  renderWho();
  return me;
}

function signInPage() {
  if (authMode !== "development") {
    show(h("h1", {}, "Sign in"),
      h("p", {}, "Sign in through your examfn account; this page is reached through the gateway, which passes your identity on."),
      h("p", {}, h("a", { href: "/" }, "Try again")));
    return;
  }
  const err = h("div", {});
  const email = h("input", { id: "email", type: "email", required: true, autocomplete: "email", value: "student@example.org" });
  const role = h("select", { id: "role" }, h("option", { value: "student" }, "Student"), h("option", { value: "educator" }, "Educator"));
  const form = h("form", { class: "card dev", "aria-labelledby": "signin-title" },
    h("p", { class: "dev-badge" }, "Development sign-in"),
    h("h1", { id: "signin-title" }, "Development sign-in"),
    h("p", {}, "Local development only: this mints a token for any email with the dev key pair. It is not available when real identities are configured."),
    h("label", { for: "email" }, "Email"), email,
    h("label", { for: "role" }, "Role"), role,
    h("p", {}, h("button", { type: "submit" }, "Sign in")),
    err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.replaceChildren();
    try {
      const r = await api("/dev/token", { method: "POST", json: { email: email.value, role: role.value } });
      sessionStorage.setItem(TOKEN, r.data.token);
      await loadMe();
      location.hash = "#/";
      route();
    } catch (e) {
      err.replaceChildren(errorBox(e));
    }
  });
  show(form);
  email.focus();
}

// ---- student --------------------------------------------------------------

async function studentHome() {
  show(h("h1", {}, "Exams"), h("p", {}, "Loading…"));
  try {
    const names = (await api("/exam")).data;
    const list = names.length
      ? h("ul", { class: "list", "data-testid": "exam-list" }, names.map((n) =>
          h("li", {}, h("span", {}, n.replace(/\.json$/, "")),
            h("a", { class: "button", href: "#/take/" + encodeURIComponent(n), "aria-label": "Take exam " + n }, "Take exam"))))
      : h("p", {}, "No exams yet.");
    show(h("h1", {}, "Exams"), list);
  } catch (e) {
    show(h("h1", {}, "Exams"), errorBox(e));
  }
}

function attemptStore(name) {
  const k = "examfn.attempt." + name;
  return {
    load: () => { try { return JSON.parse(sessionStorage.getItem(k)); } catch (_) { return null; } },
    save: (v) => sessionStorage.setItem(k, JSON.stringify(v)),
    clear: () => sessionStorage.removeItem(k),
  };
}

let attemptTimer = null;

function formatLeft(ms) {
  const t = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  const two = (x) => String(x).padStart(2, "0");
  return (h ? h + ":" + two(m) : String(m)) + ":" + two(sec);
}

// A countdown to the attempt's deadline (the server enforces it, with a grace period).
function countdown(deadline, graceSeconds) {
  const el = h("p", { class: "timer", "data-testid": "countdown", role: "timer", "aria-live": "off" });
  const end = Date.parse(deadline);
  let warned = false;
  function tick() {
    const left = end - Date.now();
    if (left > 0) {
      el.textContent = "Time left: " + formatLeft(left);
      el.classList.toggle("timer-low", left < 60000);
      if (left < 60000 && !warned) { warned = true; announce("Less than a minute left."); }
    } else {
      el.textContent = "Time is up: submit now (answers are accepted for " + graceSeconds + " more seconds).";
      el.classList.add("timer-low");
    }
  }
  tick();
  clearInterval(attemptTimer);
  attemptTimer = setInterval(tick, 1000);
  return el;
}

async function takeExam(name) {
  show(h("h1", {}, "Exam " + name), h("p", {}, "Loading…"));
  let started;
  try {
    // The server starts (or resumes) an attempt: its order, its version, its deadline.
    started = (await api("/exam/" + encodeURIComponent(name) + "/attempts/start", { method: "POST" })).data;
  } catch (e) {
    show(h("h1", {}, "Exam " + name), errorBox(e), h("p", {}, h("a", { href: "#/" }, "Back to exams")));
    return;
  }
  const questions = started.questions;
  const timer = started.deadline ? countdown(started.deadline, started.grace_seconds) : null;
  const store = attemptStore(name);
  let att = store.load();
  if (!att || att.attemptId !== started.attempt_id || !Array.isArray(att.answers) || att.answers.length !== questions.length) {
    // One Idempotency-Key per attempt: a retry, double click or reload re-sends the same key.
    att = { key: newKey(), attemptId: started.attempt_id, answers: questions.map(() => null), index: 0 };
    store.save(att);
  }
  const total = questions.length;
  const limits = [
    started.max_attempts ? "Attempt " + started.attempts_used + " of " + started.max_attempts + "." : null,
    started.time_limit_seconds ? "Time limit: " + formatLeft(started.time_limit_seconds * 1000) + "." : null,
  ].filter(Boolean).join(" ");

  function page() {
    const i = att.index;
    if (i >= total) return review();
    const q = questions[i];
    const fs = h("fieldset", {},
      h("legend", {}, "Question " + (i + 1) + ": " + q.question),
      q.options.map((opt, j) => {
        const id = "q" + i + "o" + j;
        const input = h("input", { type: "radio", name: "q" + i, id, value: opt, checked: att.answers[i] === opt });
        input.addEventListener("change", () => { att.answers[i] = opt; store.save(att); next.disabled = false; });
        return h("label", { class: "option", for: id }, input, h("span", {}, opt));
      }));
    const back = h("button", { type: "button", class: "secondary", disabled: i === 0, onclick: () => { att.index--; store.save(att); page(); } }, "Back");
    const next = h("button", { type: "submit", disabled: att.answers[i] === null }, i === total - 1 ? "Review" : "Next");
    const form = h("form", {}, fs, h("div", { class: "nav-buttons" }, back, next));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (att.answers[i] === null) return;
      att.index++;
      store.save(att);
      page();
    });
    show(h("h1", {}, "Exam " + name.replace(/\.json$/, "")), timer, limits ? h("p", { class: "progress" }, limits) : null,
      h("p", { class: "progress" }, "Question " + (i + 1) + " of " + total), form);
    const first = form.querySelector("input:checked") || form.querySelector("input");
    if (first) first.focus();
  }

  function review() {
    const err = h("div", {});
    const submit = h("button", { type: "button" }, "Submit answers");
    const back = h("button", { type: "button", class: "secondary", onclick: () => { att.index = total - 1; store.save(att); page(); } }, "Back");
    const unanswered = att.answers.filter((a) => a === null).length;
    submit.disabled = unanswered > 0;
    submit.addEventListener("click", async () => {
      submit.disabled = true;
      submit.textContent = "Submitting…";
      try {
        const r = await api("/exam/" + encodeURIComponent(name) + "/attempts", {
          method: "POST", json: { answers: att.answers, attempt_id: att.attemptId }, headers: { "Idempotency-Key": att.key },
        });
        store.clear();
        clearInterval(attemptTimer);
        showResult(r.data);
      } catch (e) {
        submit.disabled = false;
        submit.textContent = "Submit answers";
        err.replaceChildren(errorBox(e));
      }
    });
    show(h("h1", {}, "Review your answers"), timer,
      h("ol", {}, questions.map((q, i) => h("li", {}, h("strong", {}, q.question), h("br"),
        att.answers[i] === null ? h("em", {}, "not answered") : "Your answer: " + att.answers[i], " ",
        h("a", { href: "#", onclick: (ev) => { ev.preventDefault(); att.index = i; store.save(att); page(); } }, "change")))),
      unanswered ? h("p", { class: "error" }, unanswered + " question(s) not answered yet.") : null,
      h("div", { class: "nav-buttons" }, back, submit), err);
    submit.focus();
  }

  page();
}

function resultView(r) {
  // With the exam's "score only" setting the details carry no verdict and no correct answer.
  const verdicts = (r.details || []).some((d) => d.is_correct !== undefined);
  return [
    h("p", { class: "score", "data-testid": "score" },
      "Score: " + r.score + " / " + r.total + " (" + r.percentage + "%) — " + String(r.result).toUpperCase()),
    verdicts ? null : h("p", { "data-testid": "score-only" }, "Your educator shows the score only: the correct answers are not shown."),
    h("ol", { "data-testid": "details" }, (r.details || []).map((d) => !verdicts
      ? h("li", {}, h("strong", {}, d.question), h("br"), "Your answer: " + d.user_answer)
      : h("li", { class: d.is_correct ? "correct" : "incorrect" },
        h("strong", {}, d.question), h("br"),
        "Your answer: " + d.user_answer + " — " + (d.is_correct ? "correct" : "incorrect"),
        d.is_correct ? null : h("span", {}, h("br"), "Correct answer: " + d.correct_answer)))),
  ];
}

function showResult(r) {
  show(h("h1", {}, "Your result"), h("p", {}, "Exam " + r.exam), ...resultView(r),
    h("p", {}, h("a", { href: "#/results" }, "All my results"), " · ", h("a", { href: "#/" }, "Back to exams")));
  announce("Submitted. Score " + r.score + " of " + r.total + ", " + r.result + ".");
}

async function myResults() {
  show(h("h1", {}, "My results"), h("p", {}, "Loading…"));
  try {
    const rows = (await api("/me/attempts")).data;
    show(h("h1", {}, "My results"), rows.length
      ? h("ul", { class: "list" }, rows.map((r) => h("li", {},
          h("span", {}, r.exam + " · " + (r.submitted_at || "").replace("T", " ").slice(0, 16)),
          h("span", { class: r.result === "passed" ? "correct" : "incorrect" }, r.score + "/" + r.total + " " + r.result))))
      : h("p", {}, "No results yet."));
  } catch (e) {
    show(h("h1", {}, "My results"), errorBox(e));
  }
}

// ---- educator -------------------------------------------------------------

// The lecture formats exam-gen reads: extension -> the Content-Type sent.
const LECTURE_TYPES = {
  pdf: "application/pdf",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  odp: "application/vnd.oasis.opendocument.presentation",
  odt: "application/vnd.oasis.opendocument.text",
  md: "text/markdown", markdown: "text/markdown",
  html: "text/html", htm: "text/html",
};
const lectureExt = (fileName) => {
  const m = /\.([a-z]+)$/i.exec(fileName || "");
  return m && LECTURE_TYPES[m[1].toLowerCase()] ? m[1].toLowerCase() : null;
};

function uploadForm(onDone) {
  const msg = h("div", { role: "status" });
  const accept = Object.keys(LECTURE_TYPES).map((e) => "." + e).concat([...new Set(Object.values(LECTURE_TYPES))]).join(",");
  const file = h("input", { id: "pdf", type: "file", accept, required: true, "aria-describedby": "formats" });
  const name = h("input", { id: "lecture", type: "text", required: true, placeholder: "lecture1", pattern: "[^\\/\\\\]+" });
  const num = (id, v, min, max) => h("input", { id, type: "number", min, max, value: v, required: true, inputmode: "numeric" });
  const mcq = num("n_mcq", 5, 0, 50), tfq = num("n_tfq", 3, 0, 50), opts = num("n_mcq_options", 4, 2, 8);
  const lang = h("input", { id: "lang", type: "text", value: "eng", pattern: "[a-z]{3,4}(_[a-z]+)?(\\+[a-z]{3,4}(_[a-z]+)?){0,2}",
    "aria-describedby": "lang-help", autocomplete: "off" });
  file.addEventListener("change", () => {
    const f = file.files[0];
    if (f && !name.value) name.value = lectureExt(f.name) ? f.name.replace(/\.[a-z]+$/i, "") : f.name;
  });
  const button = h("button", { type: "submit" }, "Upload");
  const form = h("form", { class: "card", "aria-labelledby": "upload-title" },
    h("h2", { id: "upload-title" }, "Upload a lecture"),
    h("label", { for: "pdf" }, "Lecture file"), file,
    h("p", { id: "formats", class: "hint" },
      "PDF (scans are read by OCR), PowerPoint (.pptx), Word (.docx), Impress (.odp), Writer (.odt), Markdown (.md) or HTML. " +
      "Questions name the slide or page they come from."),
    h("label", { for: "lecture" }, "Exam name"), name,
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "n_mcq" }, "Multiple-choice questions"), mcq),
      h("div", {}, h("label", { for: "n_tfq" }, "True/false questions"), tfq),
      h("div", {}, h("label", { for: "n_mcq_options" }, "Options per question"), opts),
      h("div", {}, h("label", { for: "lang" }, "Language of a scan"), lang,
        h("small", { id: "lang-help" }, " Tesseract's code: eng, deu, fra, …"))),
    h("p", {}, button), msg);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const f = file.files[0];
    if (!f) { msg.replaceChildren(errorBox("Choose a lecture file.")); return; }
    const ext = lectureExt(f.name);
    if (!ext) {
      msg.replaceChildren(errorBox("Choose a PDF, .pptx, .docx, .odp, .odt, .md or .html file."));
      return;
    }
    button.disabled = true;
    try {
      // The name carries the file's extension: the server stores exams/<name>.<ext>.
      const base = name.value.trim().replace(/\.(pdf|pptx|docx|odp|odt|md|markdown|html?)$/i, "");
      const params = { name: base + "." + ext, n_mcq: mcq.value, n_tfq: tfq.value, n_mcq_options: opts.value };
      if (lang.value.trim()) params.lang = lang.value.trim();
      const q = new URLSearchParams(params);
      const r = await api("/educator/uploads?" + q, { method: "POST", body: f, headers: { "Content-Type": LECTURE_TYPES[ext] } });
      msg.replaceChildren(h("p", { class: "correct" }, "Uploaded " + r.data.key + ". Generation starts shortly."));
      form.reset();
      onDone();
    } catch (e) {
      msg.replaceChildren(errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// "about 2 min left" from exam-gen's estimate in seconds.
function etaText(seconds) {
  if (seconds < 45) return "less than a minute left";
  const min = Math.max(1, Math.round(seconds / 60));
  return min < 90 ? "about " + min + " min left" : "about " + Math.round(min / 60) + " h left";
}

// How generation is going, from the status's progress: "Writing questions: 12 of 20, about 2 min left".
function progressText(p) {
  const of = Number.isInteger(p.written) && Number.isInteger(p.total) && p.total > 0 ? p.written + " of " + p.total : "";
  const eta = typeof p.eta_seconds === "number" && p.eta_seconds >= 0 ? etaText(p.eta_seconds) : "";
  const stages = {
    extracting: "Reading the lecture…",
    writing: of ? "Writing questions: " + of : "Writing questions…",
    verifying: of ? "Checking the questions: " + of : "Checking the questions…",
    storing: "Saving the exam…",
  };
  const text = stages[p.stage] || "Writing the exam…";
  if (!eta) return text;
  return text.endsWith("…") ? text + " (" + eta + ")" : text + ", " + eta;
}

function statusCell(r) {
  const n = r.needs_review;
  return h("td", {}, h("span", { class: "state state-" + r.state }, r.state),
    r.state === "ready" && n > 0
      ? h("span", { class: "needs-review-note", "data-testid": "needs-review" }, " — " + n + (n === 1 ? " needs review" : " need review"))
      : null,
    r.state === "generating" && r.progress
      ? h("span", { class: "hint", "data-testid": "progress" }, " " + progressText(r.progress))
      : null,
    r.reason
      ? h("span", r.state === "failed" ? { class: "failure", "data-testid": "failure-reason" } : { class: "hint" }, " " + r.reason)
      : null);
}

async function educatorHome() {
  const table = h("div", { class: "table-scroll", "data-testid": "educator-exams" }, h("p", {}, "Loading…"));
  async function refresh() {
    clearTimeout(pollTimer);
    try {
      const rows = (await api("/educator/exams")).data;
      // The table is rebuilt on every poll: keep the keyboard focus where it was.
      const focused = table.contains(document.activeElement) ? document.activeElement : null;
      const keep = focused && focused.closest("tr")
        ? { exam: focused.closest("tr").getAttribute("data-exam"), text: focused.textContent } : null;
      table.replaceChildren(rows.length ? h("table", {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Exam"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "Students"), h("th", { scope: "col" }, "Actions"))),
        h("tbody", {}, rows.map((r) => h("tr", { "data-exam": r.name },
          h("td", {}, r.name.replace(/\.json$/, "")),
          statusCell(r),
          h("td", {}, r.publication ? h("span", { class: "state pub-" + r.publication, "data-testid": "publication" }, r.publication) : "—"),
          h("td", {}, r.available
            ? [h("a", { href: "#/review/" + encodeURIComponent(r.name), "aria-label": "Review " + r.name }, "Review"), " · ",
               h("a", { href: "#/preview/" + encodeURIComponent(r.name) }, "Preview"), " · ",
               h("a", { href: "#/board/" + encodeURIComponent(r.name) }, "Scoreboard")]
            : "—")))))
        : h("p", {}, "No exams yet: upload a lecture."));
      if (keep) {
        const row = Array.from(table.querySelectorAll("tr[data-exam]")).find((tr) => tr.getAttribute("data-exam") === keep.exam);
        const again = row && Array.from(row.querySelectorAll("a, button")).find((el) => el.textContent === keep.text);
        if (again) again.focus();
      }
      if (rows.some((r) => r.state === "generating" || r.state === "uploaded")) {
        pollTimer = setTimeout(() => { if (location.hash === "#/" || location.hash === "") refresh(); }, 2000);
      }
    } catch (e) {
      table.replaceChildren(errorBox(e));
    }
  }
  show(h("h1", {}, "Exams & uploads"), uploadForm(refresh), h("h2", {}, "Exams"), table);
  refresh();
}

async function preview(name) {
  show(h("h1", {}, "Preview " + name), h("p", {}, "Loading…"));
  try {
    const qs = (await api("/educator/exams/" + encodeURIComponent(name))).data;
    show(h("h1", {}, "Preview " + name.replace(/\.json$/, "")),
      h("ol", {}, qs.map((q) => h("li", {}, h("strong", {}, q.question),
        h("ul", {}, q.options.map((o) => h("li", { class: o === q.correct_answer ? "correct" : "" },
          o, o === q.correct_answer ? " ✓ (correct)" : "")))))),
      h("p", {}, h("a", { href: "#/board/" + encodeURIComponent(name) }, "Scoreboard"), " · ", h("a", { href: "#/" }, "Back")));
  } catch (e) {
    show(h("h1", {}, "Preview " + name), errorBox(e));
  }
}

// ---- review: edit the draft, publish, settings ------------------------------

function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const two = (x) => String(x).padStart(2, "0");
  return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" + two(d.getHours()) + ":" + two(d.getMinutes());
}

// The passage with the question's sentence marked (whitespace collapsed, as the PDF text breaks lines anywhere).
function highlighted(passage, sentence) {
  const text = passage.replace(/\s+/g, " ").trim();
  const s = (sentence || "").replace(/\s+/g, " ").trim();
  if (!s) return [text];
  let at = text.indexOf(s);
  if (at < 0 && text.toLowerCase().length === text.length) at = text.toLowerCase().indexOf(s.toLowerCase());
  if (at < 0) return [text];
  return [text.slice(0, at), h("mark", { "data-testid": "source-sentence" }, text.slice(at, at + s.length)), text.slice(at + s.length)];
}

// Where a question comes from (the review API's provenance): page, which
// generator wrote it, edited or a spare, the verifier's doubt and the lecture
// passage. Only what is known is shown; questions without provenance show nothing.
function provenanceView(p, i) {
  if (!p) return null;
  const facts = [];
  if (p.page) facts.push("page " + p.page);
  if (p.origin === "llm") facts.push("written by the language model" + (p.model ? " (" + p.model + ")" : ""));
  if (p.origin === "rules") facts.push("written by the rule-based generator");
  if (p.spare) facts.push("a spare question from the same lecture");
  if (p.edited) facts.push("edited");
  const line = facts.join(" · ");
  const flag = !p.needs_review ? null : p.edited
    ? h("p", { class: "hint", "data-testid": "review-note" }, "Flagged before it was edited: " + p.needs_review)
    : h("p", { class: "needs-review", "data-testid": "needs-review" }, h("strong", { class: "badge" }, "Needs review"), " " + p.needs_review);
  const text = p.passage || p.source;
  const passage = !text ? null : h("details", { class: "passage", "data-testid": "passage" },
    h("summary", { "aria-label": (p.passage ? "Lecture passage of question " : "Lecture sentence of question ") + (i + 1) },
      p.passage ? "Lecture passage" : "Lecture sentence"),
    h("blockquote", {}, p.passage ? highlighted(p.passage, p.source) : text),
    p.passage && p.source ? h("p", { class: "hint" }, "The highlighted sentence is the one the question was written from.") : null);
  return h("div", { class: "provenance", "data-testid": "provenance" }, flag,
    line ? h("p", { class: "hint", "data-testid": "origin" }, line.charAt(0).toUpperCase() + line.slice(1)) : null,
    passage);
}

async function review(name) {
  const short = name.replace(/\.json$/, "");
  show(h("h1", {}, "Review " + short), h("p", {}, "Loading…"));
  let r;
  try {
    r = (await api("/educator/exams/" + encodeURIComponent(name) + "/review")).data;
  } catch (e) {
    show(h("h1", {}, "Review " + short), errorBox(e));
    return;
  }
  const base = "/educator/exams/" + encodeURIComponent(name);
  // source_id goes back with each question, so an edited or moved question keeps its provenance.
  let qs = r.questions.map((q) => ({ question: q.question, options: q.options.slice(), correct_answer: q.correct_answer,
    source_id: q.source_id, provenance: q.provenance }));
  let dirty = false;
  const msg = h("div", { role: "status" });
  const list = h("div", { "data-testid": "editor" });

  function markDirty() { dirty = true; save.disabled = false; }

  function render() {
    list.replaceChildren(...qs.map((q, i) => {
      const text = h("textarea", { id: "q" + i + "-text", rows: 2, "data-testid": "question-text" });
      text.value = q.question;
      text.addEventListener("input", () => { q.question = text.value; markDirty(); });
      const opts = q.options.map((o, j) => {
        const input = h("input", { id: "q" + i + "-o" + j, type: "text", value: o, "aria-label": "Question " + (i + 1) + " option " + (j + 1), "data-testid": "option-text" });
        const radio = h("input", { type: "radio", name: "q" + i + "-correct", checked: o === q.correct_answer, "aria-label": "Option " + (j + 1) + " is correct", "data-testid": "option-correct" });
        input.addEventListener("input", () => {
          const was = q.options[j] === q.correct_answer;
          q.options[j] = input.value;
          if (was) q.correct_answer = input.value;
          markDirty();
        });
        radio.addEventListener("change", () => { q.correct_answer = q.options[j]; markDirty(); });
        return h("div", { class: "edit-option" }, radio, input);
      });
      const move = (d) => () => { const t = qs[i + d]; qs[i + d] = qs[i]; qs[i] = t; markDirty(); render(); };
      return h("fieldset", { class: "edit-question", "data-testid": "edit-question" },
        h("legend", {}, "Question " + (i + 1)),
        provenanceView(q.provenance, i),
        h("label", { for: "q" + i + "-text" }, "Text"), text,
        h("p", { class: "hint" }, "Options (choose the correct one)"), opts,
        h("div", { class: "row-buttons" },
          h("button", { type: "button", class: "secondary", disabled: i === 0, onclick: move(-1), "aria-label": "Move question " + (i + 1) + " up" }, "Up"),
          h("button", { type: "button", class: "secondary", disabled: i === qs.length - 1, onclick: move(1), "aria-label": "Move question " + (i + 1) + " down" }, "Down"),
          h("button", { type: "button", class: "secondary", "data-testid": "delete-question", "aria-label": "Delete question " + (i + 1),
            disabled: qs.length === 1, onclick: () => { qs.splice(i, 1); markDirty(); render(); } }, "Delete"),
          h("button", { type: "button", class: "secondary", "data-testid": "replace-question", "aria-label": "Replace question " + (i + 1),
            onclick: async () => {
              // The generator's spare questions from the same lecture, never one the exam had.
              msg.replaceChildren();
              try {
                if (dirty) await saveDraft();
                await api(base + "/questions/" + (i + 1) + "/replace", { method: "POST" });
                announce("Question " + (i + 1) + " replaced.");
                await review(name);
              } catch (e) { msg.replaceChildren(errorBox(e)); }
            } }, "Replace")));
    }));
  }

  async function saveDraft() {
    const res = await api(base + "/draft", { method: "PUT", json: { questions: qs.map((q) =>
      ({ question: q.question, options: q.options, correct_answer: q.correct_answer, source_id: q.source_id })) } });
    dirty = false;
    return res.data;
  }
  const save = h("button", { type: "button", "data-testid": "save-draft", disabled: true }, "Save draft");
  save.addEventListener("click", async () => {
    msg.replaceChildren();
    try {
      const d = await saveDraft();
      announce("Draft saved as version " + d.draft_version + ".");
      await review(name);
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  });
  const publish = h("button", { type: "button", "data-testid": "publish" }, "Publish");
  publish.addEventListener("click", async () => {
    msg.replaceChildren();
    try {
      if (dirty) await saveDraft();
      const d = (await api(base + "/publish", { method: "POST" })).data;
      announce("Published version " + d.published_version + ".");
      await review(name);
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  });
  const unpublish = h("button", { type: "button", class: "secondary", "data-testid": "unpublish", disabled: r.state !== "published" }, "Unpublish");
  unpublish.addEventListener("click", async () => {
    msg.replaceChildren();
    try {
      await api(base + "/unpublish", { method: "POST" });
      announce("Unpublished: students no longer see it.");
      await review(name);
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  });

  const st = r.settings || {};
  const num = (id, v, min, max) => h("input", { id, type: "number", min, max, value: v === null || v === undefined ? "" : v, inputmode: "numeric" });
  const limit = num("time-limit", st.time_limit_seconds ? Math.round(st.time_limit_seconds / 60) : null, 1, 10080);
  const maxAttempts = num("max-attempts", st.max_attempts, 1, 1000);
  const opens = h("input", { id: "opens-at", type: "datetime-local", value: toLocalInput(st.opens_at) });
  const closes = h("input", { id: "closes-at", type: "datetime-local", value: toLocalInput(st.closes_at) });
  const shq = h("input", { id: "shuffle-questions", type: "checkbox", checked: !!st.shuffle_questions });
  const sho = h("input", { id: "shuffle-options", type: "checkbox", checked: !!st.shuffle_options });
  const feedback = h("select", { id: "feedback" },
    h("option", { value: "answers", selected: st.feedback !== "score" }, "Score and correct answers"),
    h("option", { value: "score", selected: st.feedback === "score" }, "Score only"));
  const settingsMsg = h("div", { role: "status" });
  const settingsForm = h("form", { class: "card", "aria-labelledby": "settings-title", "data-testid": "settings" },
    h("h2", { id: "settings-title" }, "Settings"),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "time-limit" }, "Time limit (minutes, empty: none)"), limit),
      h("div", {}, h("label", { for: "max-attempts" }, "Attempts allowed (empty: any)"), maxAttempts)),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "opens-at" }, "Opens"), opens),
      h("div", {}, h("label", { for: "closes-at" }, "Closes"), closes)),
    h("label", { class: "option", for: "shuffle-questions" }, shq, h("span", {}, "Shuffle questions per attempt")),
    h("label", { class: "option", for: "shuffle-options" }, sho, h("span", {}, "Shuffle options per attempt")),
    h("label", { for: "feedback" }, "After submitting, students see"), feedback,
    h("p", {}, h("button", { type: "submit", "data-testid": "save-settings" }, "Save settings")), settingsMsg);
  settingsForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    settingsMsg.replaceChildren();
    const body = {
      time_limit_seconds: limit.value ? Math.round(Number(limit.value) * 60) : null,
      max_attempts: maxAttempts.value ? Number(maxAttempts.value) : null,
      opens_at: opens.value ? new Date(opens.value).toISOString() : null,
      closes_at: closes.value ? new Date(closes.value).toISOString() : null,
      shuffle_questions: shq.checked, shuffle_options: sho.checked, feedback: feedback.value,
    };
    try {
      await api(base + "/settings", { method: "PUT", json: body });
      settingsMsg.replaceChildren(h("p", { class: "correct" }, "Settings saved."));
      announce("Settings saved.");
    } catch (e) { settingsMsg.replaceChildren(errorBox(e)); }
  });

  const stateText = r.state === "published"
    ? "Published: students take version " + r.published_version + "."
    : r.state === "unpublished" ? "Unpublished: students do not see it." : "Draft: students do not see it yet.";
  const editing = r.draft_version
    ? "Editing the draft, version " + r.draft_version + "."
    : "Saving an edit creates a new draft version; students keep the published version until you publish again.";
  render();
  show(h("h1", {}, "Review " + short),
    h("p", {}, h("span", { class: "state pub-" + r.state, "data-testid": "pub-state" }, r.state), " ", stateText),
    h("p", { class: "hint" }, editing, (r.versions || []).length ? " Versions: " + r.versions.map((v) => v.version).join(", ") + "." : ""),
    r.needs_review > 0 ? h("p", { class: "needs-review-count", "data-testid": "needs-review-count" },
      r.needs_review === 1
        ? "1 question needs your review: the checker could not confirm it against the lecture. Look for the “Needs review” badge below."
        : r.needs_review + " questions need your review: the checker could not confirm them against the lecture. Look for the “Needs review” badges below.") : null,
    h("div", { class: "nav-buttons" }, save, publish, unpublish), msg,
    h("h2", {}, "Questions"), list,
    h("div", { class: "nav-buttons" }, h("a", { href: "#/" }, "Back")),
    settingsForm);
}

function histogram(counts) {
  const W = 330, H = 160, pad = 24, bw = (W - pad) / 11;
  const max = Math.max(1, ...counts);
  const chart = svg("svg", { viewBox: "0 0 " + W + " " + (H + 30), class: "chart", role: "img",
    "aria-label": "Score distribution: " + counts.map((c, i) => (i === 10 ? "100%" : i * 10 + "–" + (i * 10 + 9) + "%") + " " + c).join(", ") });
  counts.forEach((c, i) => {
    const bh = Math.round((c / max) * (H - 10));
    const x = pad + i * bw;
    chart.append(svg("rect", { class: "bar", x: x + 2, y: H - bh, width: bw - 4, height: bh }));
    chart.append(svg("text", { x: x + bw / 2, y: H - bh - 3, "text-anchor": "middle" }, String(c)));
    chart.append(svg("text", { x: x + bw / 2, y: H + 14, "text-anchor": "middle" }, i === 10 ? "100" : String(i * 10)));
  });
  chart.append(svg("text", { x: W / 2, y: H + 28, "text-anchor": "middle" }, "percentage"));
  return chart;
}

async function board(name) {
  show(h("h1", {}, "Scoreboard " + name), h("p", {}, "Loading…"));
  try {
    const b = (await api("/educator/exams/" + encodeURIComponent(name) + "/scoreboard")).data;
    show(h("h1", {}, "Scoreboard " + name.replace(/\.json$/, "")),
      h("div", { class: "stats", "data-testid": "stats" },
        h("div", {}, h("strong", {}, String(b.attempts)), "attempts"),
        h("div", {}, h("strong", {}, Math.round(b.pass_rate * 100) + "%"), "pass rate"),
        h("div", {}, h("strong", {}, b.mean_percentage + "%"), "mean")),
      h("h2", {}, "Score distribution"), histogram(b.histogram || []),
      h("h2", {}, "Best per student"),
      (b.best || []).length ? h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Student"), h("th", {}, "Best"))),
        h("tbody", {}, b.best.map((r) => h("tr", {}, h("td", {}, r.email), h("td", {}, r.best_percentage + "% (" + r.best_score + ")")))))
        : h("p", {}, "No attempts yet."),
      h("p", {}, h("a", { href: "#/" }, "Back")));
  } catch (e) {
    show(h("h1", {}, "Scoreboard " + name), errorBox(e));
  }
}

// ---- routing ----------------------------------------------------------------

async function route() {
  clearTimeout(pollTimer);
  clearInterval(attemptTimer);
  const hash = location.hash || "#/";
  if (hash === "#/signin" || !me) {
    if (!me && hash !== "#/signin") {
      await loadMe();
      if (me) return route();
    }
    return signInPage();
  }
  const [, page, arg] = hash.match(/^#\/([^/]*)\/?(.*)$/) || [];
  const name = arg ? decodeURIComponent(arg) : "";
  if (me.role === "student") {
    if (page === "take" && name) return takeExam(name);
    if (page === "results") return myResults();
    return studentHome();
  }
  if (page === "preview" && name) return preview(name);
  if (page === "review" && name) return review(name);
  if (page === "board" && name) return board(name);
  return educatorHome();
}

async function boot() {
  try {
    const cfg = (await api("/auth/config")).data;
    authMode = cfg.mode;
  } catch (_) { /* gateway by default */ }
  await loadMe();
  window.addEventListener("hashchange", () => { route(); $main().focus({ preventScroll: true }); });
  route();
}

document.addEventListener("DOMContentLoaded", boot);
