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
  return h("p", { class: "error", role: "alert", tabindex: "-1" }, e && e.message ? e.message : String(e));
}

// Put an error (or a confirmation) where the action was, and make sure it is seen:
// scrolled into view and, for errors, focused.
function say(where, node) {
  where.replaceChildren(node);
  node.scrollIntoView({ block: "nearest" });
  if (node.classList.contains("error")) node.focus({ preventScroll: true });
}

function okBox(text) {
  return h("p", { class: "notice", "data-testid": "notice" }, text);
}

class ApiError extends Error {
  constructor(status, message, data) { super(message); this.status = status; this.data = data; }
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
    throw new ApiError(resp.status, msg, data);
  }
  return { status: resp.status, data };
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// ---- words and times ---------------------------------------------------------

// An exam's name as people say it: "lecture1", not "lecture1.json".
const title = (name) => String(name || "").replace(/\.json$/, "");

// A time in the browser's own zone: "6 Dec 2026, 18:32".
function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (isNaN(d)) return "";
  return d.toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

function zone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone"; } catch (_) { return "your time zone"; }
}

function minutesText(seconds) {
  if (!seconds) return "No time limit";
  const m = Math.round(seconds / 60);
  if (m < 1) return seconds + " seconds";
  if (m < 120) return m + (m === 1 ? " minute" : " minutes");
  const hrs = Math.floor(m / 60), rest = m % 60;
  return hrs + " h" + (rest ? " " + rest + " min" : "");
}

const plural = (n, one, many) => n + " " + (n === 1 ? one : many);

const FEEDBACK_TEXT = {
  answers: "after each attempt",
  after_last_attempt: "after your last attempt (or once the exam closes)",
  after_close: "once the exam closes",
  score: "never: you see your score and your answers only",
};

// ---- dialogs, notices and the unsaved-changes guard --------------------------

// A modal question with two buttons; resolves true for `confirm`. Focus starts
// on the safe choice and returns to where it was.
function confirmDialog({ heading, body, confirm, cancel = "Cancel" }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const yes = h("button", { type: "button", "data-testid": "confirm-yes" }, confirm);
    const no = h("button", { type: "button", class: "secondary", "data-testid": "confirm-no" }, cancel);
    const d = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title", "aria-describedby": "dialog-body", "data-testid": "confirm" },
      h("h2", { id: "dialog-title" }, heading), h("p", { id: "dialog-body" }, body), h("div", { class: "nav-buttons" }, no, yes));
    document.body.append(d);
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      d.close();
      d.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(v);
    };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    d.addEventListener("cancel", (ev) => { ev.preventDefault(); finish(false); });
    d.showModal();
    no.focus();
  });
}

// The page's unsaved work: {dirty: () => bool, what: "…"}; route() clears it.
let guard = null;
let lastHash = location.hash || "#/";
let restoring = false;

async function leaveOk() {
  if (!guard || !guard.dirty()) return true;
  return confirmDialog({
    heading: "Leave without saving?",
    body: "You have unsaved " + guard.what + ". If you leave now, they are lost.",
    confirm: "Leave without saving", cancel: "Stay on this page",
  });
}

// Set the focus on the element with this data-testid (after a page is redrawn).
function refocus(testid) {
  if (!testid) return;
  const el = $main().querySelector('[data-testid="' + testid + '"]');
  if (el) el.focus();
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

async function signOut() {
  if (!(await leaveOk())) return;
  guard = null;
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
      say(err, errorBox(e));
    }
  });
  show(form);
  email.focus();
}

// ---- student: the list and the intro ----------------------------------------

const STATUS_TEXT = {
  available: "Ready to start",
  in_progress: "In progress",
  not_open_yet: "Not open yet",
  closed: "Closed",
  no_attempts_left: "No attempts left",
};

// The facts a student weighs before starting, as short phrases.
function examFacts(e) {
  const facts = [plural(e.questions, "question", "questions"), e.time_limit_seconds ? minutesText(e.time_limit_seconds) : "no time limit"];
  if (e.max_attempts) facts.push(plural(e.attempts_left, "attempt", "attempts") + " left of " + e.max_attempts);
  if (e.status === "not_open_yet" && e.opens_at) facts.push("opens " + when(e.opens_at));
  else if (e.closes_at) facts.push((e.window === "closed" ? "closed " : "closes ") + when(e.closes_at));
  return facts.join(" · ");
}

async function studentHome() {
  show(h("h1", {}, "Exams"), h("p", {}, "Loading…"));
  try {
    const exams = (await api("/me/exams")).data;
    const list = exams.length
      ? h("ul", { class: "cards", "data-testid": "exam-list" }, exams.map((e) => h("li", { class: "card exam-card", "data-exam": e.name },
          h("h2", {}, e.title),
          h("p", { class: "facts", "data-testid": "exam-facts" }, examFacts(e)),
          h("p", {}, h("span", { class: "state st-" + e.status, "data-testid": "exam-status" }, STATUS_TEXT[e.status] || e.status),
            e.best ? h("span", { class: "hint" }, " Best so far: " + e.best.percentage + "% (" + e.best.result + ")") : null),
          e.can_start
            ? h("a", { class: "button", href: "#/exam/" + encodeURIComponent(e.name), "aria-label": (e.status === "in_progress" ? "Continue " : "Open ") + e.title },
                e.status === "in_progress" ? "Continue" : "Open")
            : h("a", { href: "#/exam/" + encodeURIComponent(e.name), "aria-label": "Details of " + e.title }, "Details"))))
      : h("p", {}, "No exams for you yet.");
    show(h("h1", {}, "Exams"), list);
  } catch (e) {
    show(h("h1", {}, "Exams"), errorBox(e));
  }
}

// The page before the clock starts: what the exam is, then "Start".
async function intro(name) {
  show(h("h1", {}, title(name)), h("p", {}, "Loading…"));
  let e;
  try {
    e = (await api("/me/exams/" + encodeURIComponent(name))).data;
  } catch (err) {
    show(h("h1", {}, title(name)), errorBox(err), h("p", {}, h("a", { href: "#/" }, "Back to exams")));
    return;
  }
  const row = (k, v) => [h("dt", {}, k), h("dd", {}, v)];
  const attempts = e.max_attempts
    ? e.attempts_used + " used of " + e.max_attempts + " (" + plural(e.attempts_left, "attempt", "attempts") + " left)"
    : (e.attempts_used ? e.attempts_used + " used, no limit" : "No limit");
  const windowText = e.opens_at || e.closes_at
    ? [e.opens_at ? "Opens " + when(e.opens_at) : null, e.closes_at ? (e.window === "closed" ? "Closed " : "Closes ") + when(e.closes_at) : null].filter(Boolean).join(" · ")
    : "Always open";
  const start = h("a", { class: "button", href: "#/take/" + encodeURIComponent(name), "data-testid": "start" },
    e.status === "in_progress" ? "Continue the attempt" : "Start");
  const why = {
    not_open_yet: "This exam opens " + when(e.opens_at) + ".",
    closed: "This exam closed " + when(e.closes_at) + ".",
    no_attempts_left: "You have used every attempt allowed.",
  }[e.status];
  show(h("h1", {}, title(name)),
    h("dl", { class: "facts-list", "data-testid": "intro" },
      row("Questions", String(e.questions)),
      row("Time limit", e.time_limit_seconds ? minutesText(e.time_limit_seconds) + (e.extra_time_seconds ? " (includes your extra time)" : "") : "No time limit"),
      row("Attempts", attempts),
      row("When", windowText),
      row("Pass mark", e.pass_percentage + " %"),
      row("Correct answers shown", FEEDBACK_TEXT[e.feedback] || FEEDBACK_TEXT.answers),
      e.best ? row("Your best so far", e.best.score + " / " + e.best.total + " (" + e.best.percentage + "%)") : null),
    e.status === "in_progress"
      ? h("p", { class: "notice" }, "You have an attempt in progress" + (e.in_progress.deadline ? ", due " + when(e.in_progress.deadline) : "") +
          ": " + e.in_progress.answered + " of " + e.in_progress.questions + " answered.")
      : null,
    e.can_start
      ? h("p", { class: "hint" }, (e.time_limit_seconds ? "The clock starts when you press Start. " : "") +
          "You can skip questions and come back to them. Your answers are saved as you go" +
          (e.time_limit_seconds ? "; when the time runs out, what you have answered is submitted for you." : "."))
      : h("p", { class: "notice", "data-testid": "cannot-start" }, why || "You cannot start this exam now."),
    h("div", { class: "nav-buttons" }, h("a", { href: "#/" }, "Back to exams"), e.can_start ? start : null));
  if (e.can_start) start.focus();
}

// ---- taking an exam ------------------------------------------------------------

function attemptStore(key) {
  const k = "examfn.attempt." + key;
  return {
    load: () => { try { return JSON.parse(sessionStorage.getItem(k)); } catch (_) { return null; } },
    save: (v) => sessionStorage.setItem(k, JSON.stringify(v)),
    clear: () => sessionStorage.removeItem(k),
  };
}

let attemptTimer = null;

function formatLeft(ms) {
  const t = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  const two = (x) => String(x).padStart(2, "0");
  return (hh ? hh + ":" + two(m) : String(m)) + ":" + two(sec);
}

// Take (or preview) an exam: the questions one per page with a panel of all of
// them, every answer saved as it changes, submitted by the student or, at the
// deadline, by the page itself.
async function takeExam(name, preview) {
  const base = "/exam/" + encodeURIComponent(name);
  const heading = (preview ? "Preview: " : "") + title(name);
  show(h("h1", {}, heading), h("p", {}, "Loading…"));
  let started;
  try {
    // The server starts (or resumes) an attempt: its order, its version, its deadline, what was saved.
    started = preview
      ? (await api("/educator/exams/" + encodeURIComponent(name) + "/preview", { method: "POST" })).data
      : (await api(base + "/attempts/start", { method: "POST" })).data;
  } catch (e) {
    show(h("h1", {}, heading), errorBox(e), h("p", {}, h("a", { href: preview ? "#/review/" + encodeURIComponent(name) : "#/" }, "Back")));
    return;
  }
  const questions = started.questions;
  const total = questions.length;
  const store = attemptStore((preview ? "preview." : "") + name);
  let att = store.load();
  if (!att || att.attemptId !== started.attempt_id || !Array.isArray(att.answers) || att.answers.length !== total) {
    // One Idempotency-Key per attempt: a retry, double click or reload re-sends the same key.
    att = { key: newKey(), attemptId: started.attempt_id, answers: (started.answers || []).slice(), flagged: (started.flagged || []).slice(), index: 0, pending: {} };
  }
  // A copy kept by an older version of this page lacks flags and pending saves.
  att.pending = att.pending || {};
  att.flagged = Array.isArray(att.flagged) ? att.flagged : [];
  // What the server saved wins, except answers this page has not sent yet.
  const saved = started.answers || [];
  const savedFlags = started.flagged || [];
  for (let k = 0; k < total; k++) {
    if (!att.pending[k]) {
      att.answers[k] = saved[k] === undefined ? (att.answers[k] || null) : saved[k];
      att.flagged[k] = !!(savedFlags[k] === undefined ? att.flagged[k] : savedFlags[k]);
    }
  }
  store.save(att);
  let finished = false;

  // ---- saving as the student goes
  const saveState = h("p", { class: "save-state", "data-testid": "save-state", "aria-live": "polite" });
  let retry = null;
  function showSaveState() {
    if (preview) { saveState.textContent = "Preview: nothing is saved or recorded."; return; }
    const waiting = Object.keys(att.pending).length;
    saveState.classList.toggle("save-warn", !!retry);
    saveState.textContent = !waiting ? "All answers saved." : retry ? "Not saved yet: trying again (check your connection)." : "Saving…";
  }
  // One save at a time, in order, so that the last change is the one the server keeps.
  let flushing = false, again = false;
  async function flush() {
    if (preview || finished) return;
    if (flushing) { again = true; return; }
    flushing = true;
    try {
      do {
        again = false;
        await flushOnce();
      } while (again && !finished && !retry);
    } finally {
      flushing = false;
    }
  }
  async function flushOnce() {
    clearTimeout(retry);
    retry = null;
    for (const k of Object.keys(att.pending)) {
      if (finished) return;
      const sent = { answer: att.answers[k], flagged: !!att.flagged[k] };
      showSaveState();
      try {
        await api(base + "/attempts/" + encodeURIComponent(att.attemptId) + "/answers/" + (Number(k) + 1), { method: "PUT", json: sent });
        if (att.answers[k] === sent.answer && !!att.flagged[k] === sent.flagged) delete att.pending[k];
        store.save(att);
      } catch (e) {
        if (e.data && e.data.kind === "time_up") { finish(e.data.result, true); return; }
        if (e.status === 409) { finished = true; store.clear(); showResultPage(name, null, "This attempt was already submitted."); return; }
        if (e.status === 422 || e.status === 404) { delete att.pending[k]; store.save(att); continue; }
        retry = setTimeout(flush, 3000);
        break;
      }
    }
    showSaveState();
  }
  function change(k, fields) {
    if ("answer" in fields) att.answers[k] = fields.answer;
    if ("flagged" in fields) att.flagged[k] = fields.flagged;
    att.pending[k] = true;
    store.save(att);
    flush();
  }

  // ---- the clock: at the deadline the page submits what is answered
  let timer = null;
  if (started.deadline) {
    timer = h("p", { class: "timer", "data-testid": "countdown", role: "timer", "aria-live": "off" });
    const end = Date.parse(started.deadline);
    let warned = false;
    const tick = () => {
      const left = end - Date.now();
      if (left > 0) {
        timer.textContent = "Time left: " + formatLeft(left);
        timer.classList.toggle("timer-low", left < 60000);
        if (left < 60000 && !warned) { warned = true; announce("Less than a minute left."); }
      } else {
        timer.textContent = "Time is up: submitting your answers…";
        timer.classList.add("timer-low");
        clearInterval(attemptTimer);
        if (!finished) submit(true);
      }
    };
    clearInterval(attemptTimer);
    attemptTimer = setInterval(tick, 1000);
    tick();
  }
  guard = { dirty: () => !finished && Object.keys(att.pending).length > 0, what: "answers (they have not reached the server yet)" };

  const answeredCount = () => att.answers.filter((a) => a !== null && a !== undefined && a !== "").length;
  const isAnswered = (k) => att.answers[k] !== null && att.answers[k] !== undefined && att.answers[k] !== "";

  // The panel of every question: answered, flagged or not yet answered; a click goes there.
  function panel(current) {
    return h("nav", { class: "qpanel", "aria-label": "Questions", "data-testid": "question-panel" },
      h("ol", {}, questions.map((_, k) => {
        const state = att.flagged[k] ? "flagged" : isAnswered(k) ? "answered" : "unanswered";
        const words = { answered: "answered", flagged: "flagged for review", unanswered: "not answered" }[state] +
          (att.flagged[k] && isAnswered(k) ? ", answered" : "");
        return h("li", {}, h("button", {
          type: "button", class: "qbtn q-" + state, "aria-current": k === current ? "step" : null,
          "aria-label": "Question " + (k + 1) + ", " + words, "data-testid": "panel-" + (k + 1), "data-state": state,
          onclick: () => { att.index = k; store.save(att); page(); },
        }, String(k + 1), h("span", { "aria-hidden": "true", class: "qmark" }, state === "flagged" ? "⚑" : state === "answered" ? "✓" : "")));
      })),
      h("p", { class: "hint legend" }, answeredCount() + " of " + total + " answered · ✓ answered · ⚑ flagged · plain: not answered"),
      h("button", { type: "button", class: "secondary", "aria-current": current === total ? "step" : null, "data-testid": "panel-review",
        onclick: () => { att.index = total; store.save(att); page(); } }, "Review and submit"));
  }

  function header(current) {
    return [h("h1", {}, heading),
      preview ? h("p", { class: "notice", "data-testid": "preview-banner" }, "Preview: you see the exam as a student would. Nothing is recorded.") : null,
      timer, panel(current), saveState];
  }

  const errors = h("div", { "data-testid": "take-errors" });

  function page() {
    const i = att.index;
    if (i >= total) return reviewPage();
    const q = questions[i];
    const fs = h("fieldset", {},
      h("legend", {}, "Question " + (i + 1) + ": " + q.question),
      q.options.map((opt, j) => {
        const id = "q" + i + "o" + j;
        const input = h("input", { type: "radio", name: "q" + i, id, value: opt, checked: att.answers[i] === opt });
        input.addEventListener("change", () => { change(i, { answer: opt }); refreshPanel(); });
        return h("label", { class: "option", for: id }, input, h("span", {}, opt));
      }));
    const flag = h("input", { type: "checkbox", id: "flag", checked: !!att.flagged[i], "data-testid": "flag" });
    flag.addEventListener("change", () => { change(i, { flagged: flag.checked }); refreshPanel(); });
    const clear = h("button", { type: "button", class: "link", "data-testid": "clear-answer", disabled: !isAnswered(i),
      onclick: () => { change(i, { answer: null }); page(); } }, "Clear my answer");
    const back = h("button", { type: "button", class: "secondary", disabled: i === 0, onclick: () => { att.index--; store.save(att); page(); } }, "Back");
    const next = h("button", { type: "submit" }, i === total - 1 ? "Review answers" : "Next");
    const form = h("form", {}, fs,
      h("div", { class: "row-buttons" }, h("label", { class: "option inline", for: "flag" }, flag, h("span", {}, "Flag to come back to")), clear),
      h("div", { class: "nav-buttons" }, back, next));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      att.index++;
      store.save(att);
      page();
    });
    show(...header(i), h("p", { class: "progress" }, "Question " + (i + 1) + " of " + total), form, errors);
    const first = form.querySelector("input:checked") || form.querySelector("input[type=radio]");
    if (first) first.focus();
  }

  // Redraw the panel in place (the answer changed; the page stays).
  function refreshPanel() {
    const old = $main().querySelector('[data-testid="question-panel"]');
    if (old) old.replaceWith(panel(att.index));
  }

  function reviewPage() {
    const unanswered = total - answeredCount();
    const submitBtn = h("button", { type: "button", "data-testid": "submit" }, "Submit answers");
    const back = h("button", { type: "button", class: "secondary", onclick: () => { att.index = total - 1; store.save(att); page(); } }, "Back");
    submitBtn.addEventListener("click", async () => {
      if (unanswered > 0) {
        const ok = await confirmDialog({
          heading: "Submit with unanswered questions?",
          body: plural(unanswered, "question is", "questions are") + " not answered. Unanswered questions score zero. You cannot change your answers after submitting.",
          confirm: "Submit anyway", cancel: "Keep answering",
        });
        if (!ok) return;
      }
      submit(false, submitBtn);
    });
    show(...header(total), h("h2", {}, "Review your answers"),
      h("ol", { class: "review-list", "data-testid": "review-list" }, questions.map((q, k) => h("li", {},
        h("strong", {}, q.question), h("br"),
        isAnswered(k) ? "Your answer: " + att.answers[k] : h("em", { class: "unanswered" }, "Not answered"),
        att.flagged[k] ? h("span", { class: "badge flag" }, " Flagged") : null, " ",
        h("button", { type: "button", class: "link", "aria-label": "Change the answer to question " + (k + 1),
          onclick: () => { att.index = k; store.save(att); page(); } }, "Change")))),
      unanswered
        ? h("p", { class: "warn-text", "data-testid": "unanswered" }, plural(unanswered, "question is", "questions are") + " not answered yet: they score zero if you submit now.")
        : h("p", { class: "hint" }, "Every question is answered."),
      h("div", { class: "nav-buttons" }, back, submitBtn), errors);
    submitBtn.focus();
  }

  let submitting = false;
  async function submit(automatic, button) {
    if (finished || submitting) return;
    submitting = true;
    if (button) { button.disabled = true; button.textContent = "Submitting…"; }
    const answers = att.answers.map((a) => (a === undefined || a === "" ? null : a));
    try {
      const r = preview
        ? await api("/educator/exams/" + encodeURIComponent(name) + "/preview/grade", { method: "POST",
            json: { version: started.version, order: started.order, answers, automatic } })
        : await api(base + "/attempts", { method: "POST", json: { answers, attempt_id: att.attemptId, automatic },
            headers: { "Idempotency-Key": att.key } });
      finish(r.data, automatic);
    } catch (e) {
      submitting = false;
      if (e.data && e.data.kind === "time_up") return finish(e.data.result, true);
      if (button) { button.disabled = false; button.textContent = "Submit answers"; }
      if (automatic && (!e.status || e.status >= 500)) {
        // Offline at the deadline: the answers saved so far are submitted by the server after the grace period.
        say(errors, errorBox("Time is up, but your answers could not be sent (check your connection). Trying again; " +
          "if it keeps failing, the answers saved so far are submitted for you within " + (started.grace_seconds || 30) + " seconds."));
        setTimeout(() => submit(true), 3000);
        return;
      }
      say(errors, errorBox(e));
    }
  }

  function finish(result, automatic) {
    finished = true;
    guard = null;
    clearInterval(attemptTimer);
    clearTimeout(retry);
    store.clear();
    if (preview) return showPreviewResult(name, result);
    showResultPage(name, result, automatic && !result ? "Time is up: your saved answers were submitted." : null);
  }

  showSaveState();
  if (!preview && Object.keys(att.pending).length) flush();
  page();
  // Resumed in the grace period: the time is already up.
  if (started.deadline && Date.parse(started.deadline) <= Date.now() && !finished) submit(true);
}

// A result: the score, the pass mark, how it was submitted, and each question
// in the order the student saw it (with the verdicts and correct answers when the
// exam shows them).
function resultView(r, compact) {
  const verdicts = r.answers_shown !== false && (r.details || []).some((d) => d.is_correct !== undefined);
  const hidden = {
    score: "Your educator shows the score only: the correct answers are not shown.",
    after_last_attempt: "The correct answers are shown after your last attempt (or once the exam closes).",
    after_close: "The correct answers are shown once the exam closes.",
  }[r.feedback] || "Your educator shows the score only: the correct answers are not shown.";
  return [
    compact ? null : h("p", { class: "score", "data-testid": "score" },
      "Score: " + r.score + " / " + r.total + " (" + r.percentage + "%) — " + String(r.result || "").toUpperCase()),
    compact ? null : h("p", { class: "hint" }, "Pass mark: " + (r.pass_percentage || 50) + " %" + (r.submitted_at ? " · submitted " + when(r.submitted_at) : "")),
    r.submission === "automatic"
      ? h("p", { class: "notice", "data-testid": "auto-submitted" }, "Submitted automatically when the time ran out: the answers you had given were graded" +
          (r.unanswered ? "; " + plural(r.unanswered, "unanswered question scores", "unanswered questions score") + " zero." : "."))
      : (r.unanswered ? h("p", { class: "hint" }, plural(r.unanswered, "question was", "questions were") + " left unanswered and scored zero.") : null),
    verdicts ? null : h("p", { "data-testid": "score-only" }, hidden),
    h("ol", { class: "details", "data-testid": "details" }, (r.details || []).map((d) => {
      const answer = d.user_answer ? "Your answer: " + d.user_answer : h("em", { class: "unanswered" }, "Not answered");
      if (!verdicts) return h("li", {}, h("strong", {}, d.question), h("br"), answer);
      return h("li", { class: d.is_correct ? "correct" : "incorrect" },
        h("strong", {}, d.question), h("br"), answer, " — " + (d.is_correct ? "correct" : "incorrect"),
        d.is_correct ? null : h("span", {}, h("br"), "Correct answer: " + d.correct_answer));
    })),
  ];
}

function showResultPage(name, r, note) {
  if (!r) {
    show(h("h1", {}, "Your result"), h("p", { class: "notice" }, note || "Your answers were submitted."),
      h("p", {}, h("a", { href: "#/results" }, "All my results"), " · ", h("a", { href: "#/" }, "Back to exams")));
    return;
  }
  show(h("h1", {}, "Your result"), h("p", {}, title(r.exam || name)), ...resultView(r),
    h("p", {}, h("a", { href: "#/results" }, "All my results"), " · ", h("a", { href: "#/" }, "Back to exams")));
  announce("Submitted. Score " + r.score + " of " + r.total + ", " + r.result + ".");
  $main().focus({ preventScroll: false });
}

const PREVIEW_FEEDBACK = {
  answers: "Students see their score and the correct answers after each attempt.",
  after_last_attempt: "Students see their score; the correct answers after their last attempt (or once the exam closes).",
  after_close: "Students see their score; the correct answers once the exam closes.",
  score: "Students see their score and their own answers only, never the correct answers.",
};

function showPreviewResult(name, r) {
  show(h("h1", {}, "Preview result: " + title(name)),
    h("p", { class: "notice", "data-testid": "preview-banner" }, "Preview: this result was not recorded. " +
      (PREVIEW_FEEDBACK[r.feedback] || PREVIEW_FEEDBACK.answers)),
    ...resultView(Object.assign({}, r, { answers_shown: true })),
    h("p", {}, h("a", { href: "#/review/" + encodeURIComponent(name) }, "Back to the review"), " · ",
      h("a", { href: "#/preview/" + encodeURIComponent(name) }, "Preview again")));
}

async function myResults() {
  show(h("h1", {}, "My results"), h("p", {}, "Loading…"));
  try {
    const rows = (await api("/me/attempts")).data;
    show(h("h1", {}, "My results"), rows.length
      ? h("ul", { class: "list results", "data-testid": "my-results" }, rows.map((r) => h("li", { "data-exam": r.exam },
          h("div", {}, h("strong", {}, title(r.exam)), h("span", { class: "hint" }, " · " + when(r.submitted_at)),
            r.submission === "automatic" ? h("span", { class: "badge auto", "data-testid": "auto-badge" }, "Submitted automatically") : null),
          h("span", { class: r.result === "passed" ? "correct" : "incorrect" }, r.score + "/" + r.total + " (" + r.percentage + "%) " + r.result),
          h("details", { class: "result-details" }, h("summary", {}, "Answers"), ...resultView(r, true)))))
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
  const button = h("button", { type: "submit", "data-testid": "upload" }, "Upload");
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
    if (!f) { say(msg, errorBox("Choose a lecture file.")); return; }
    const ext = lectureExt(f.name);
    if (!ext) {
      say(msg, errorBox("Choose a PDF, .pptx, .docx, .odp, .odt, .md or .html file."));
      return;
    }
    button.disabled = true;
    // The name carries the file's extension: the server stores the lecture under it.
    const examName = name.value.trim().replace(/\.(pdf|pptx|docx|odp|odt|md|markdown|html?)$/i, "");
    const send = async (replace) => {
      const params = { name: examName + "." + ext, n_mcq: mcq.value, n_tfq: tfq.value, n_mcq_options: opts.value };
      if (lang.value.trim()) params.lang = lang.value.trim();
      if (replace) params.replace = "true";
      return api("/educator/uploads?" + new URLSearchParams(params), { method: "POST", body: f, headers: { "Content-Type": LECTURE_TYPES[ext] } });
    };
    try {
      let replaced = false;
      try {
        await send(false);
      } catch (e) {
        if (!(e.data && e.data.kind === "exists")) throw e;
        const ok = await confirmDialog({
          heading: "Replace the questions of “" + examName + "”?",
          body: "You already have an exam named “" + examName + "”. Uploading this lecture replaces its draft questions with new ones " +
            "written from it. A published version stays what students take until you publish again.",
          confirm: "Replace its questions", cancel: "Keep the exam as it is",
        });
        if (!ok) { say(msg, okBox("Nothing was uploaded. Choose another exam name to keep both.")); return; }
        await send(true);
        replaced = true;
      }
      say(msg, okBox("Uploaded " + f.name + (replaced ? ", replacing the questions of “" + examName + "”" : " as “" + examName + "”") +
        ". Writing the questions takes a minute or two; the exam appears in the list below."));
      announce("Uploaded " + f.name + ".");
      form.reset();
      onDone();
    } catch (e) {
      say(msg, errorBox(e));
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

// What was written against what was asked for: null when all of it was, else the
// shortfall in words ("0 of 5 multiple-choice questions could be written").
function shortfall(r) {
  const req = r.requested || {}, got = r.written || {};
  const parts = [];
  if (Number.isInteger(req.mcq) && Number.isInteger(got.mcq) && got.mcq < req.mcq) parts.push(got.mcq + " of " + req.mcq + " multiple-choice");
  if (Number.isInteger(req.tfq) && Number.isInteger(got.tfq) && got.tfq < req.tfq) parts.push(got.tfq + " of " + req.tfq + " true/false");
  return parts.length ? "Only " + parts.join(" and ") + " questions could be written from this lecture." : null;
}

function statusCell(r) {
  const n = r.needs_review;
  const short = r.state === "ready" ? shortfall(r) : null;
  const label = { ready: short ? "ready, fewer questions" : "ready", generating: "writing questions", uploaded: "uploaded", failed: "failed" }[r.state] || r.state;
  const long = r.reason && r.reason.length > 90;
  return h("td", { "data-label": "Status" },
    h("span", { class: "state state-" + (short ? "short" : r.state), "data-testid": "state" }, label),
    r.state === "ready" && n > 0
      ? h("span", { class: "needs-review-note", "data-testid": "needs-review" }, " — " + n + (n === 1 ? " needs review" : " need review"))
      : null,
    short ? h("span", { class: "status-line warn-text", "data-testid": "shortfall" }, short) : null,
    r.state === "generating" && r.progress
      ? h("span", { class: "status-line hint", "data-testid": "progress" }, progressText(r.progress))
      : null,
    r.state === "uploaded" ? h("span", { class: "status-line hint" }, "Waiting for the question writer…") : null,
    r.reason && r.state === "failed" && !long
      ? h("span", { class: "status-line failure", "data-testid": "failure-reason" }, r.reason)
      : null,
    r.reason && (r.state !== "failed" || long)
      ? h("details", { class: "status-details" }, h("summary", {}, r.state === "failed" ? "Why it failed" : "Notes from the question writer"),
          h("p", { "data-testid": r.state === "failed" ? "failure-reason" : "writer-notes" }, r.reason))
      : null);
}

async function educatorHome() {
  const table = h("div", { class: "exam-table", "data-testid": "educator-exams" }, h("p", {}, "Loading…"));
  async function refresh() {
    clearTimeout(pollTimer);
    try {
      const rows = (await api("/educator/exams")).data;
      // The table is rebuilt on every poll: keep the keyboard focus where it was.
      const focused = table.contains(document.activeElement) ? document.activeElement : null;
      const keep = focused && focused.closest("tr")
        ? { exam: focused.closest("tr").getAttribute("data-exam"), text: focused.textContent } : null;
      const open = table.querySelectorAll("details[open]");
      const opened = Array.from(open).map((d) => d.closest("tr") && d.closest("tr").getAttribute("data-exam"));
      table.replaceChildren(rows.length ? h("table", { class: "stack" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Exam"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "Students"), h("th", { scope: "col" }, "Actions"))),
        h("tbody", {}, rows.map((r) => h("tr", { "data-exam": r.name },
          h("td", { "data-label": "Exam" }, h("strong", {}, title(r.name)),
            h("span", { class: "status-line hint" }, [r.created_at ? "Added " + when(r.created_at) : null,
              r.access === "co_owner" ? "shared by " + r.owner : null,
              r.access === "owner" && (r.co_owners || []).length ? "shared with " + plural(r.co_owners.length, "colleague", "colleagues") : null]
              .filter(Boolean).join(" · "))),
          statusCell(r),
          h("td", { "data-label": "Students" }, r.publication
            ? h("span", { class: "state pub-" + r.publication, "data-testid": "publication" },
                { published: "can take it", draft: "draft: not shown", unpublished: "unpublished: not shown" }[r.publication] || r.publication)
            : h("span", { class: "hint" }, "not yet")),
          h("td", { "data-label": "Actions", class: "actions" }, r.available
            ? [h("a", { href: "#/review/" + encodeURIComponent(r.name), "aria-label": "Review " + title(r.name) }, "Review"),
               h("a", { href: "#/preview/" + encodeURIComponent(r.name), "aria-label": "Preview " + title(r.name) }, "Preview"),
               h("a", { href: "#/reports/" + encodeURIComponent(r.name), "aria-label": "Results of " + title(r.name), "data-reports": "" }, "Results"),
               h("a", { href: "#/board/" + encodeURIComponent(r.name), "aria-label": "Scoreboard of " + title(r.name) }, "Scoreboard")]
            : h("span", { class: "hint" }, "—"))))))
        : h("p", {}, "No exams yet: upload a lecture."));
      for (const exam of opened) {
        const d = table.querySelector('tr[data-exam="' + CSS.escape(exam || "") + '"] details');
        if (d) d.open = true;
      }
      if (keep) {
        const row = Array.from(table.querySelectorAll("tr[data-exam]")).find((tr) => tr.getAttribute("data-exam") === keep.exam);
        const again = row && Array.from(row.querySelectorAll("a, button, summary")).find((el) => el.textContent === keep.text);
        if (again) again.focus();
      }
      if (rows.some((r) => r.state === "generating" || r.state === "uploaded")) {
        pollTimer = setTimeout(() => { if (location.hash === "#/" || location.hash === "") refresh(); }, 2000);
      }
    } catch (e) {
      table.replaceChildren(errorBox(e));
    }
  }
  show(h("h1", {}, "Exams & uploads"), uploadForm(refresh), h("h2", {}, "Your exams"),
    h("p", { class: "hint" }, "Newest first. Only you and the colleagues you share an exam with see it."), table);
  refresh();
}

// The answer key: every question with its correct answer marked.
async function answerKey(name) {
  show(h("h1", {}, "Answer key: " + title(name)), h("p", {}, "Loading…"));
  try {
    const qs = (await api("/educator/exams/" + encodeURIComponent(name))).data;
    show(h("h1", {}, "Answer key: " + title(name)),
      h("ol", {}, qs.map((q) => h("li", {}, h("strong", {}, q.question),
        h("ul", {}, q.options.map((o) => h("li", { class: o === q.correct_answer ? "correct" : "" },
          o, o === q.correct_answer ? " ✓ (correct)" : "")))))),
      h("p", {}, h("a", { href: "#/review/" + encodeURIComponent(name) }, "Review"), " · ", h("a", { href: "#/" }, "Back")));
  } catch (e) {
    show(h("h1", {}, "Answer key: " + title(name)), errorBox(e));
  }
}

// ---- review: edit the draft, publish, settings, sharing ------------------------

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

// A text box as tall as its text (Chromium sizes it by its content; rows is the floor elsewhere).
function growing(attrs, value) {
  const t = h("textarea", Object.assign({ rows: Math.min(12, Math.max(3, Math.ceil(String(value).length / 60) + 1)), class: "grow" }, attrs));
  t.value = value;
  return t;
}

const FEEDBACK_CHOICES = [
  ["answers", "After each attempt"],
  ["after_last_attempt", "After the student's last attempt"],
  ["after_close", "Once the exam closes"],
  ["score", "Never (score only)"],
];

// `after` = {message, focus}: what the previous action said, and where the focus goes back to.
async function review(name, after) {
  const short = title(name);
  show(h("h1", {}, "Review " + short), h("p", {}, "Loading…"));
  let r, owners = null;
  const base = "/educator/exams/" + encodeURIComponent(name);
  try {
    [r, owners] = await Promise.all([api(base + "/review").then((x) => x.data), api(base + "/owners").then((x) => x.data).catch(() => null)]);
  } catch (e) {
    show(h("h1", {}, "Review " + short), errorBox(e), h("p", {}, h("a", { href: "#/" }, "Back to your exams")));
    return;
  }
  // source_id goes back with each question, so an edited or moved question keeps its provenance.
  let qs = r.questions.map((q) => ({ question: q.question, options: q.options.slice(), correct_answer: q.correct_answer,
    source_id: q.source_id, provenance: q.provenance }));
  let qDirty = false, sDirty = false;
  const msg = h("div", { role: "status", class: "message-area", "data-testid": "review-message" });
  const list = h("div", { "data-testid": "editor" });
  guard = { dirty: () => qDirty || sDirty, what: "changes to this exam" };

  function markDirty() {
    qDirty = true;
    dirtyNote.textContent = "You have unsaved changes to the questions.";
  }

  function render() {
    list.replaceChildren(...qs.map((q, i) => {
      const text = growing({ id: "q" + i + "-text", "data-testid": "question-text" }, q.question);
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
              const ok = await confirmDialog({
                heading: "Replace question " + (i + 1) + "?",
                body: "It is swapped for a spare question written from the same lecture" + (qDirty ? "; your other edits are saved first" : "") +
                  ". You can edit the new question afterwards.",
                confirm: "Replace question " + (i + 1), cancel: "Keep it",
              });
              if (!ok) return;
              msg.replaceChildren();
              try {
                if (qDirty) await saveDraft();
                await api(base + "/questions/" + (i + 1) + "/replace", { method: "POST" });
                announce("Question " + (i + 1) + " replaced.");
                guard = null;
                await review(name, { message: "Question " + (i + 1) + " was replaced by a spare question from the same lecture; the draft is saved.", focus: null });
                const t = $main().querySelector("#q" + i + "-text");
                if (t) t.focus();
              } catch (e) { say(msg, errorBox(e)); }
            } }, "Replace")));
    }));
  }

  async function saveDraft() {
    const res = await api(base + "/draft", { method: "PUT", json: { questions: qs.map((q) =>
      ({ question: q.question, options: q.options, correct_answer: q.correct_answer, source_id: q.source_id })) } });
    qDirty = false;
    return res.data;
  }
  const dirtyNote = h("span", { class: "hint", "data-testid": "dirty-note", "aria-live": "polite" });
  // Always enabled, so that the keyboard focus can stay on it after saving.
  const save = h("button", { type: "button", "data-testid": "save-draft" }, "Save draft");
  save.addEventListener("click", async () => {
    msg.replaceChildren();
    if (!qDirty) { say(msg, okBox("Nothing to save: the draft has no unsaved changes.")); return; }
    try {
      const d = await saveDraft();
      announce("Draft saved as version " + d.draft_version + ".");
      guard = null;
      const keepSettings = sDirty ? settingsBody() : null;
      await review(name, { message: "Draft saved (version " + d.draft_version + ") at " + when(new Date().toISOString()) + ". Students do not see it until you publish.", focus: "save-draft", settings: keepSettings });
    } catch (e) { say(msg, errorBox(e)); }
  });
  const publish = h("button", { type: "button", "data-testid": "publish" }, "Publish");
  publish.addEventListener("click", async () => {
    msg.replaceChildren();
    if (r.state === "published" && !r.draft_version && !qDirty && !sDirty) {
      say(msg, okBox("Already published: students take version " + r.published_version + ". Edit a question and save to make a new draft."));
      return;
    }
    try {
      // Publishing takes the unsaved work with it: the questions and the settings on screen.
      const saved = [];
      if (sDirty) {
        const bad = settingsProblem();
        if (bad) { say(msg, errorBox(bad)); return; }
        await api(base + "/settings", { method: "PUT", json: settingsBody() });
        sDirty = false;
        saved.push("the settings");
      }
      if (qDirty) { await saveDraft(); saved.push("the questions"); }
      const d = (await api(base + "/publish", { method: "POST" })).data;
      announce("Published version " + d.published_version + ".");
      guard = null;
      await review(name, { message: (saved.length ? "Saved " + saved.join(" and ") + ", then published" : "Published") +
        " version " + d.published_version + ": students can take it now.", focus: "publish" });
    } catch (e) { say(msg, errorBox(e)); }
  });
  const unpublish = h("button", { type: "button", class: "secondary", "data-testid": "unpublish", disabled: r.state !== "published" }, "Unpublish");
  unpublish.addEventListener("click", async () => {
    const ok = await confirmDialog({
      heading: "Unpublish " + short + "?",
      body: "Students will no longer see it or start it. Attempts already started can still be submitted. You can publish it again later.",
      confirm: "Unpublish", cancel: "Keep it published",
    });
    if (!ok) return;
    msg.replaceChildren();
    try {
      await api(base + "/unpublish", { method: "POST" });
      announce("Unpublished: students no longer see it.");
      const dirty = qDirty || sDirty;
      if (!dirty) guard = null;
      if (dirty) { say(msg, okBox("Unpublished: students no longer see it. Your unsaved edits are still on this page.")); return; }
      await review(name, { message: "Unpublished: students no longer see it.", focus: "publish" });
    } catch (e) { say(msg, errorBox(e)); }
  });
  const previewLink = h("a", { class: "button secondary", href: "#/preview/" + encodeURIComponent(name), "data-testid": "preview" }, "Preview as a student");

  // ---- settings
  const st = (after && after.settings) || r.settings || {};
  const num = (id, v, min, max, extra) => h("input", Object.assign({ id, type: "number", min, max, value: v === null || v === undefined ? "" : v, inputmode: "numeric" }, extra || {}));
  const limit = num("time-limit", st.time_limit_seconds ? Math.round(st.time_limit_seconds / 60) : null, 1, 10080);
  const maxAttempts = num("max-attempts", st.max_attempts, 1, 1000);
  const passMark = num("pass-mark", st.pass_percentage || 50, 1, 100);
  const opens = h("input", { id: "opens-at", type: "datetime-local", value: toLocalInput(st.opens_at) });
  const closes = h("input", { id: "closes-at", type: "datetime-local", value: toLocalInput(st.closes_at) });
  const shq = h("input", { id: "shuffle-questions", type: "checkbox", checked: !!st.shuffle_questions });
  const sho = h("input", { id: "shuffle-options", type: "checkbox", checked: !!st.shuffle_options });
  const feedback = h("select", { id: "feedback" }, FEEDBACK_CHOICES.map(([v, label]) => h("option", { value: v, selected: (st.feedback || "answers") === v }, label)));
  const roster = (st.students || []);
  const everyone = h("input", { type: "radio", name: "who", id: "who-all", value: "all", checked: !roster.length });
  const only = h("input", { type: "radio", name: "who", id: "who-list", value: "list", checked: roster.length > 0 });
  const students = h("textarea", { id: "students", rows: 3, "aria-describedby": "students-help", class: "grow" });
  students.value = roster.join("\n");
  const settingsMsg = h("div", { role: "status", "data-testid": "settings-message" });
  const settingsNote = h("span", { class: "hint", "aria-live": "polite" });

  function settingsBody() {
    const list = students.value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);
    return {
      time_limit_seconds: limit.value ? Math.round(Number(limit.value) * 60) : null,
      max_attempts: maxAttempts.value ? Number(maxAttempts.value) : null,
      opens_at: opens.value ? new Date(opens.value).toISOString() : null,
      closes_at: closes.value ? new Date(closes.value).toISOString() : null,
      shuffle_questions: shq.checked, shuffle_options: sho.checked, feedback: feedback.value,
      pass_percentage: passMark.value ? Number(passMark.value) : null,
      students: only.checked && list.length ? list : null,
    };
  }
  // The mistakes a teacher can make here, in their words, before anything is sent.
  function settingsProblem() {
    const b = settingsBody();
    if (limit.value && !(Number(limit.value) >= 1 && Number(limit.value) <= 10080)) return "The time limit must be between 1 minute and 7 days (10080 minutes).";
    if (maxAttempts.value && !(Number(maxAttempts.value) >= 1 && Number(maxAttempts.value) <= 1000)) return "Attempts allowed must be between 1 and 1000.";
    if (!(Number(passMark.value) >= 1 && Number(passMark.value) <= 100)) return "The pass mark must be between 1 % and 100 %.";
    if (b.opens_at && b.closes_at && Date.parse(b.closes_at) <= Date.parse(b.opens_at)) return "The closing time must be after the opening time.";
    if (b.feedback === "after_close" && !b.closes_at) return "To show the correct answers once the exam closes, set a closing time.";
    if (only.checked && !b.students) return "List at least one student's email or an email domain such as @school.edu, or let every signed-in student take it.";
    return null;
  }
  const settingsForm = h("form", { class: "card", "aria-labelledby": "settings-title", "data-testid": "settings" },
    h("h2", { id: "settings-title" }, "Settings"),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "time-limit" }, "Time limit in minutes"), limit, h("small", { class: "hint" }, "Empty: no limit")),
      h("div", {}, h("label", { for: "max-attempts" }, "Attempts allowed"), maxAttempts, h("small", { class: "hint" }, "Empty: any number")),
      h("div", {}, h("label", { for: "pass-mark" }, "Pass mark (%)"), passMark)),
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "opens-at" }, "Opens"), opens),
      h("div", {}, h("label", { for: "closes-at" }, "Closes"), closes)),
    h("p", { class: "hint" }, "Times are in your time zone (" + zone() + "). Empty: always open."),
    h("label", { class: "option", for: "shuffle-questions" }, shq, h("span", {}, "Shuffle the questions for each attempt")),
    h("label", { class: "option", for: "shuffle-options" }, sho, h("span", {}, "Shuffle the options for each attempt")),
    h("p", { class: "hint" }, "True/False and sets whose order matters (“I only … Neither”, “All of the above”, numbers) keep their order."),
    h("label", { for: "feedback" }, "When students see the correct answers"), feedback,
    h("small", { class: "hint" }, "Students always see their score and their own answers."),
    h("fieldset", { class: "plain" }, h("legend", {}, "Who can take it"),
      h("label", { class: "option", for: "who-all" }, everyone, h("span", {}, "Every signed-in student")),
      h("label", { class: "option", for: "who-list" }, only, h("span", {}, "Only these students")),
      h("label", { for: "students" }, "Student emails or email domains"), students,
      h("small", { id: "students-help", class: "hint" }, "One per line, e.g. ann@school.edu or @school.edu for everyone at the school.")),
    h("p", { class: "row-buttons" }, h("button", { type: "submit", "data-testid": "save-settings" }, "Save settings"), settingsNote), settingsMsg);
  const settingsDirty = () => { sDirty = true; settingsNote.textContent = "Unsaved changes to the settings."; };
  settingsForm.addEventListener("input", settingsDirty);
  settingsForm.addEventListener("change", settingsDirty);
  students.addEventListener("input", () => { if (students.value.trim()) only.checked = true; });
  settingsForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    settingsMsg.replaceChildren();
    const bad = settingsProblem();
    if (bad) { say(settingsMsg, errorBox(bad)); return; }
    try {
      await api(base + "/settings", { method: "PUT", json: settingsBody() });
      sDirty = false;
      settingsNote.textContent = "";
      say(settingsMsg, okBox("Settings saved at " + when(new Date().toISOString()) + "."));
      announce("Settings saved.");
    } catch (e) { say(settingsMsg, errorBox(e)); }
  });
  if (after && after.settings) { sDirty = true; settingsNote.textContent = "Unsaved changes to the settings."; }

  // ---- sharing with colleagues
  let share = null;
  if (owners) {
    const canChange = owners.access === "owner" || owners.access === "shared";
    const shareMsg = h("div", { role: "status" });
    const add = h("input", { id: "co-owner", type: "email", autocomplete: "off", placeholder: "colleague@school.edu" });
    const put = async (listNow, done) => {
      try {
        await api(base + "/owners", { method: "PUT", json: { co_owners: listNow } });
        owners = (await api(base + "/owners")).data;
        drawShare();
        say(shareMsg, okBox(done));
      } catch (e) { say(shareMsg, errorBox(e)); }
    };
    const body = h("div", {});
    function drawShare() {
      body.replaceChildren(
        h("p", {}, owners.shared_with_every_educator
          ? "Every educator can see this exam (it was added before exams had owners). Sharing it makes you its owner."
          : "Owner: " + owners.owner + (owners.access === "owner" ? " (you)" : "")),
        (owners.co_owners || []).length
          ? h("ul", { class: "list", "data-testid": "co-owners" }, owners.co_owners.map((c) => h("li", {}, c,
              canChange ? h("button", { type: "button", class: "secondary", "aria-label": "Stop sharing with " + c,
                onclick: () => put(owners.co_owners.filter((x) => x !== c), "No longer shared with " + c + ".") }, "Remove") : null)))
          : h("p", { class: "hint" }, "Not shared with anyone."));
    }
    drawShare();
    const form = h("form", { class: "row" }, h("div", {}, h("label", { for: "co-owner" }, "Share with a colleague (their email)"), add),
      h("div", {}, h("button", { type: "submit", class: "secondary", "data-testid": "add-co-owner" }, "Share")));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const e = add.value.trim();
      if (!e) return;
      put((owners.co_owners || []).concat([e]), "Shared with " + e + ": they can now see, edit and publish this exam and read its results.");
      add.value = "";
    });
    share = h("section", { class: "card", "aria-labelledby": "share-title", "data-testid": "sharing" },
      h("h2", { id: "share-title" }, "Sharing"), body, canChange ? form : h("p", { class: "hint" }, "Only the owner can change who shares it."), shareMsg);
  }

  const stateText = r.state === "published"
    ? "Published: students take version " + r.published_version + "."
    : r.state === "unpublished" ? "Unpublished: students do not see it." : "Draft: students do not see it yet.";
  const editing = r.draft_version
    ? "Editing the draft, version " + r.draft_version + "."
    : "Saving an edit creates a new draft version; students keep the published version until you publish again.";
  render();
  if (after && after.message) msg.replaceChildren(okBox(after.message));
  show(h("h1", {}, "Review " + short),
    h("p", {}, h("span", { class: "state pub-" + r.state, "data-testid": "pub-state" }, r.state), " ", stateText),
    h("p", { class: "hint" }, editing, (r.versions || []).length ? " Versions: " + r.versions.map((v) => v.version).join(", ") + "." : ""),
    r.needs_review > 0 ? h("p", { class: "needs-review-count", "data-testid": "needs-review-count" },
      r.needs_review === 1
        ? "1 question needs your review: the checker could not confirm it against the lecture. Look for the “Needs review” badge below."
        : r.needs_review + " questions need your review: the checker could not confirm them against the lecture. Look for the “Needs review” badges below.") : null,
    h("div", { class: "nav-buttons toolbar" }, save, publish, unpublish, previewLink), dirtyNote, msg,
    settingsForm,
    h("h2", {}, "Questions"), list,
    h("div", { class: "nav-buttons" }, h("a", { href: "#/key/" + encodeURIComponent(name) }, "Answer key"), h("a", { href: "#/" }, "Back to your exams")),
    share);
  if (after && after.focus) refocus(after.focus);
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
  show(h("h1", {}, "Scoreboard " + title(name)), h("p", {}, "Loading…"));
  try {
    const b = (await api("/educator/exams/" + encodeURIComponent(name) + "/scoreboard")).data;
    show(h("h1", {}, "Scoreboard " + title(name)),
      h("div", { class: "stats", "data-testid": "stats" },
        h("div", {}, h("strong", {}, String(b.attempts)), "attempts"),
        h("div", {}, h("strong", {}, Math.round(b.pass_rate * 100) + "%"), "pass rate"),
        h("div", {}, h("strong", {}, b.mean_percentage + "%"), "mean")),
      h("h2", {}, "Score distribution"), histogram(b.histogram || []),
      h("h2", {}, "Best per student"),
      (b.best || []).length ? h("div", { class: "table-scroll" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Student"), h("th", {}, "Best"))),
        h("tbody", {}, b.best.map((r) => h("tr", {}, h("td", {}, r.email), h("td", {}, r.best_percentage + "% (" + r.best_score + ")"))))))
        : h("p", {}, "No attempts yet."),
      h("p", {}, h("a", { href: "#/reports/" + encodeURIComponent(name) }, "Results and analysis"), " · ", h("a", { href: "#/" }, "Back")));
  } catch (e) {
    show(h("h1", {}, "Scoreboard " + title(name)), errorBox(e));
  }
}

// ---- routing ----------------------------------------------------------------

async function route() {
  clearTimeout(pollTimer);
  clearInterval(attemptTimer);
  guard = null;
  const hash = location.hash || "#/";
  lastHash = hash;
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
    if (page === "exam" && name) return intro(name);
    if (page === "take" && name) return takeExam(name, false);
    if (page === "results") return myResults();
    return studentHome();
  }
  if (page === "preview" && name) return takeExam(name, true);
  if (page === "key" && name) return answerKey(name);
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
  window.addEventListener("hashchange", async () => {
    if (restoring) { restoring = false; return; }
    if (guard && guard.dirty()) {
      // Unsaved work: go back to where we were, then ask.
      const target = location.hash;
      restoring = true;
      location.hash = lastHash;
      if (!(await leaveOk())) return;
      guard = null;
      location.hash = target;
      return;
    }
    route();
    $main().focus({ preventScroll: true });
  });
  window.addEventListener("beforeunload", (ev) => {
    if (guard && guard.dirty()) { ev.preventDefault(); ev.returnValue = ""; }
  });
  route();
}

document.addEventListener("DOMContentLoaded", boot);
