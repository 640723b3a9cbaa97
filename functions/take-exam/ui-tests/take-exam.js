// Browser test of the take-exam web UI: headless Debian chromium driven by playwright-core.
//
//   node take-exam.js <base-url>
//
// env: EXAMFN_TEST_PLAYWRIGHT_DIR  a directory holding node_modules/playwright-core (required)
//      EXAMFN_UI_ARTIFACTS         where screenshots go (default target/ui-artifacts)
//      EXAMFN_UI_PDF               a PDF file the educator uploads (required)
//      EXAMFN_UI_EXAM              the seeded exam's name (default lecture1.json)
//      EXAMFN_UI_ANSWERS           JSON array of the answers the student picks
//      EXAMFN_UI_EXPECT_SCORE      the score text expected after submitting, e.g. "3 / 4"
//      EXAMFN_UI_UPLOAD_NAME       name of the uploaded exam (default uploaded-lecture)
//      EXAMFN_UI_PROGRESS          the progress text expected while the upload is generating
//      EXAMFN_UI_SIGNAL_DIR        where to write `progress-seen` once it was seen (the simulated
//                                  exam-gen waits for it before it marks the exam ready)
//      EXAMFN_UI_NEEDS_REVIEW      JSON {reason, origin, source}: the uploaded exam's first question
//                                  as the review shows it (flagged by the verifier)
//
// The browser is never downloaded: /usr/bin/chromium is used as installed.
"use strict";

const fs = require("fs");
const path = require("path");
const { base, check, shot, signIn, run } = require("./common");

const pdf = process.env.EXAMFN_UI_PDF;
const exam = process.env.EXAMFN_UI_EXAM || "lecture1.json";
const answers = JSON.parse(process.env.EXAMFN_UI_ANSWERS || "[]");
const expectScore = process.env.EXAMFN_UI_EXPECT_SCORE || "";
const uploadName = process.env.EXAMFN_UI_UPLOAD_NAME || "uploaded-lecture";
const progress = process.env.EXAMFN_UI_PROGRESS || "";
const signalDir = process.env.EXAMFN_UI_SIGNAL_DIR || "";
const flagged = JSON.parse(process.env.EXAMFN_UI_NEEDS_REVIEW || "null");

// No "null" or "undefined" printed where an optional part was left out.
async function noPlaceholders(page, where) {
  const text = await page.locator("main").textContent();
  check(!/\bundefined\b|\bnull\b/.test(text), "no undefined or null on " + where + ": " + text.slice(0, 300));
}

// The focus ring is the dark blue one (7.9:1 on white), not the yellow one (1.8:1).
async function focusRingIsVisible(page, where) {
  const ring = await page.evaluate(() => {
    const el = document.activeElement;
    const cs = getComputedStyle(el);
    return { color: cs.outlineColor, width: cs.outlineWidth, style: cs.outlineStyle, tag: el.tagName };
  });
  check(ring.color === "rgb(26, 79, 160)" && ring.style === "solid" && parseFloat(ring.width) >= 2,
    "a visible focus ring on " + where + ": " + JSON.stringify(ring));
}

async function student(page) {
  await signIn(page, "ui-student@example.org", "student");
  await page.getByTestId("exam-list").waitFor();
  const short = exam.replace(/\.json$/, "");
  const facts = await page.locator('[data-exam="' + exam + '"]').getByTestId("exam-facts").textContent();
  check(facts.startsWith(answers.length + " questions · no time limit"), "the list says what the exam is: " + facts);
  await noPlaceholders(page, "the exam list");
  await shot(page, "01-student-exams");
  await page.getByRole("link", { name: "Open " + short }).click();
  // The intro: nothing starts until "Start".
  await page.getByTestId("intro").waitFor();
  const intro = await page.getByTestId("intro").textContent();
  check(intro.includes("Questions" + answers.length) && intro.includes("No time limit") && intro.includes("Pass mark50 %"), "the intro's facts: " + intro);
  await noPlaceholders(page, "the intro");
  await shot(page, "01b-intro");
  await page.getByTestId("start").click();

  const n = answers.length;
  // Question 1 by keyboard only: the first option has focus; arrows move within
  // the group, Space selects, Enter submits the form (Next).
  await page.getByText("Question 1 of " + n).waitFor();
  const labels = await page.locator("fieldset label").allTextContents();
  const target = labels.findIndex((l) => l.trim() === answers[0]);
  check(target >= 0, "answer " + answers[0] + " is an option");
  for (let k = 0; k < target; k++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Space");
  check(await page.getByLabel(answers[0], { exact: true }).isChecked(), "keyboard selected the answer");
  await noPlaceholders(page, "the question page");
  await focusRingIsVisible(page, "the chosen option");
  await shot(page, "02-question-1");
  await page.keyboard.press("Enter");
  // Skip question 2 (Next works without an answer), flag it, answer the rest.
  await page.getByText("Question 2 of " + n).waitFor();
  await page.getByTestId("flag").check();
  await page.getByRole("button", { name: "Next" }).click();
  for (let i = 2; i < n; i++) {
    await page.getByText("Question " + (i + 1) + " of " + n).waitFor();
    await page.getByLabel(answers[i], { exact: true }).check();
    await page.getByRole("button", { name: i === n - 1 ? "Review answers" : "Next" }).click();
  }
  // The review page: question 2 flagged and not answered; the panel says so.
  await page.getByRole("heading", { name: "Review your answers" }).waitFor();
  check((await page.getByTestId("unanswered").textContent()).startsWith("1 question is not answered"), "one unanswered");
  check(await page.getByTestId("panel-2").getAttribute("data-state") === "flagged", "question 2 is flagged in the panel");
  check(await page.getByTestId("panel-1").getAttribute("data-state") === "answered", "question 1 is answered in the panel");
  await page.getByTestId("save-state").filter({ hasText: "All answers saved." }).waitFor();
  await shot(page, "03a-review-with-a-skipped-question");
  // Submitting now asks first; "Keep answering" goes back.
  await page.getByTestId("submit").click();
  await page.getByTestId("confirm").waitFor();
  await shot(page, "03b-submit-unanswered-dialog");
  await page.getByTestId("confirm-no").click();
  // Come back to question 2 from the panel, answer it, unflag it.
  await page.getByTestId("panel-2").click();
  await page.getByText("Question 2 of " + n).waitFor();
  await page.getByLabel(answers[1], { exact: true }).check();
  await page.getByTestId("flag").uncheck();
  // Back keeps the earlier answer.
  await page.getByRole("button", { name: "Back" }).click();
  check(await page.getByLabel(answers[0], { exact: true }).isChecked(), "back keeps answer 1");
  await page.getByTestId("panel-review").click();
  await page.getByRole("heading", { name: "Review your answers" }).waitFor();
  await page.getByTestId("save-state").filter({ hasText: "All answers saved." }).waitFor();
  await shot(page, "03-review");
  // A double click must still store one attempt (same Idempotency-Key, button disabled).
  await page.getByTestId("submit").dblclick();
  const score = page.getByTestId("score");
  await score.waitFor();
  const text = await score.textContent();
  check(text.includes(expectScore), "score shows " + expectScore + ": " + text);
  const details = await page.getByTestId("details").locator("li").count();
  check(details === answers.length, "one detail per question, got " + details);
  await noPlaceholders(page, "the result page");
  await shot(page, "04-result");

  await page.getByRole("link", { name: "All my results" }).click();
  await page.getByRole("heading", { name: "My results" }).waitFor();
  await page.getByTestId("my-results").locator("li").first().waitFor();
  const rows = await page.getByTestId("my-results").locator(":scope > li").count();
  check(rows === 1, "one stored attempt after a double click, got " + rows);
  const line = await page.getByTestId("my-results").locator(":scope > li").first().textContent();
  check(!/\d{4}-\d\d-\d\dT/.test(line) && !line.includes(".json"), "a local time and the exam's name as people say it: " + line);
  await noPlaceholders(page, "my results");
  await shot(page, "05-my-results");
  await page.getByRole("button", { name: "Sign out" }).click();
}

async function educator(page) {
  await signIn(page, "ui-educator@example.org", "educator");
  await page.getByTestId("educator-exams").locator("table").waitFor();
  await shot(page, "06-educator-home");
  await page.setInputFiles("#pdf", pdf);
  await page.fill("#lecture", uploadName);
  await page.fill("#n_mcq", "4");
  await page.fill("#n_tfq", "2");
  await page.fill("#n_mcq_options", "3");
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByTestId("notice").filter({ hasText: "Uploaded lecture.pdf as “" + uploadName + "”" }).waitFor();
  check(!(await page.locator("main").textContent()).includes("exams/"), "no storage key on the page");
  const row = page.locator('tr[data-exam="' + uploadName + '.json"]');
  await row.waitFor();
  await shot(page, "07-uploaded");
  // The page polls the status: how far generation is, refreshed while it runs.
  if (progress) {
    await row.getByTestId("progress").filter({ hasText: progress }).waitFor({ timeout: 30000 });
    await shot(page, "07b-generating-progress");
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, "the page does not scroll sideways at 390 px while generating: " + wide);
    if (signalDir) fs.writeFileSync(path.join(signalDir, "progress-seen"), "");
  }
  // exam-gen (simulated by the test) marks it ready.
  await row.getByTestId("state").filter({ hasText: /^ready/ }).waitFor({ timeout: 30000 });
  if (flagged) {
    const note = await row.getByTestId("needs-review").textContent();
    check(note.trim() === "— 1 needs review", "the ready row says a question needs review: " + note);
  }
  // 4 multiple-choice were asked for and none could be written: said in words, not a green "ready".
  const state = (await row.getByTestId("state").textContent()).trim();
  check(state === "ready, fewer questions", "a short exam is not a plain ready: " + state);
  const short = await row.getByTestId("shortfall").textContent();
  check(short.includes("0 of 4 multiple-choice"), "the shortfall in words: " + short);
  // The newest upload comes first.
  check(await page.locator("tr[data-exam]").first().getAttribute("data-exam") === uploadName + ".json", "the new upload is first");
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, "the exam list fits a 390 px phone: " + wide);
  await noPlaceholders(page, "the educator's list");
  await shot(page, "08-ready");

  // Uploading again under the same name asks first; keeping the exam uploads nothing.
  await page.setInputFiles("#pdf", pdf);
  await page.fill("#lecture", uploadName);
  await page.getByRole("button", { name: "Upload" }).click();
  await page.getByTestId("confirm").waitFor();
  check((await page.getByTestId("confirm").textContent()).includes("You already have an exam named “" + uploadName + "”"), "the replace question");
  await shot(page, "08b-replace-dialog");
  await page.getByTestId("confirm-no").click();
  await page.getByTestId("notice").filter({ hasText: "Nothing was uploaded" }).waitFor();

  await page.locator('tr[data-exam="' + exam + '"]').getByRole("link", { name: "Review " + exam.replace(/\.json$/, ""), exact: true }).click();
  await page.getByRole("link", { name: "Answer key" }).click();
  await page.getByText("(correct)").first().waitFor();
  await shot(page, "09-answer-key");
  await page.goto(base + "/#/");
  await page.locator('tr[data-exam="' + exam + '"]').getByRole("link", { name: "Scoreboard" }).click();
  await page.getByTestId("stats").waitFor();
  const stats = await page.getByTestId("stats").textContent();
  check(/1\s*attempts/.test(stats), "scoreboard counts the student's attempt: " + stats);
  check(await page.locator("svg.chart rect.bar").count() === 11, "11 histogram bars");
  await shot(page, "10-scoreboard");
}

// The uploaded exam is a draft: the educator edits it, sets a time limit and
// publishes it; a student then takes it against the clock.
async function reviewAndTimedAttempt(page) {
  await page.goto(base + "/#/");
  const row = page.locator('tr[data-exam="' + uploadName + '.json"]');
  await row.getByTestId("publication").filter({ hasText: "draft" }).waitFor();
  await row.getByRole("link", { name: "Review " + uploadName, exact: true }).click();
  await page.getByTestId("pub-state").filter({ hasText: "draft" }).waitFor();
  const question = page.getByTestId("edit-question").first();
  if (flagged) {
    // Where the question comes from, and the verifier's doubt.
    check((await page.getByTestId("needs-review-count").textContent()).startsWith("1 question needs your review"), "the count of questions to review");
    const badge = question.getByTestId("needs-review");
    check(await badge.isVisible(), "a visible Needs review badge");
    const said = (await badge.textContent()).trim();
    check(said === "Needs review " + flagged.reason, "the badge gives the reason: " + said);
    const origin = (await question.getByTestId("origin").textContent()).trim();
    check(origin === flagged.origin, "page and source of the question: " + origin);
    const passage = question.getByTestId("passage");
    check(!(await passage.evaluate((d) => d.open)), "the passage is collapsed at first");
    check(!(await passage.getByTestId("source-sentence").isVisible()), "the collapsed passage hides its text");
    await passage.locator("summary").click();
    const mark = passage.getByTestId("source-sentence");
    await mark.waitFor();
    check((await mark.textContent()) === flagged.source, "the source sentence is highlighted in the passage");
    await noPlaceholders(page, "the review page");
    await shot(page, "11a-review-needs-review");
  }
  const text = page.getByTestId("question-text").first();
  // A long question is shown whole: the box grows with its text (no hidden part to scroll).
  await text.fill("Which of the following statements about the lecture, its slides, the readings assigned for this week and the examples discussed in the tutorial on Thursday afternoon is supported by the evidence presented, assuming the definitions given at the start of the course?");
  const box = await text.evaluate((t) => ({ scroll: t.scrollHeight, client: t.clientHeight }));
  check(box.scroll <= box.client + 2, "the question box shows the whole text: " + JSON.stringify(box));
  await text.fill("Was the lecture uploaded and reviewed?");
  // Make "False" the option text "No" and keep "True" correct.
  await page.getByLabel("Question 1 option 2").fill("No");
  // Leaving with unsaved edits asks first.
  await page.getByRole("link", { name: "Back to your exams" }).click();
  await page.getByTestId("confirm").waitFor();
  await shot(page, "10b-unsaved-changes-dialog");
  await page.getByTestId("confirm-no").click();
  check(await page.getByTestId("question-text").first().inputValue() === "Was the lecture uploaded and reviewed?", "staying keeps the edit");
  await page.getByTestId("save-draft").click();
  await page.getByText("Editing the draft, version 1.").waitFor();
  // A visible confirmation, and the keyboard focus back on the button.
  await page.getByTestId("review-message").getByText("Draft saved (version 1)").waitFor();
  check(await page.evaluate(() => document.activeElement && document.activeElement.dataset.testid) === "save-draft", "focus stays on Save draft");
  check(await page.getByTestId("question-text").first().inputValue() === "Was the lecture uploaded and reviewed?", "the edit was saved");
  if (flagged) {
    // Edited: the same origin, marked edited; the doubt is kept as a note, no longer counted.
    const origin = (await question.getByTestId("origin").textContent()).trim();
    check(origin === flagged.origin + " · edited", "the edited question keeps its provenance: " + origin);
    check(await question.getByTestId("needs-review").count() === 0, "no badge on the edited question");
    check(await question.getByTestId("review-note").isVisible(), "the verifier's note stays as a note");
    check(await page.getByTestId("needs-review-count").count() === 0, "nothing left to review");
    await noPlaceholders(page, "the review page after the edit");
  }
  // The settings come before the questions; a mistake is said in the teacher's words.
  const order = await page.evaluate(() => {
    const s = document.querySelector('[data-testid="settings"]'), q = document.querySelector('[data-testid="editor"]');
    return !!(s.compareDocumentPosition(q) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  check(order, "the settings are above the questions");
  await page.fill("#opens-at", "2030-01-02T10:00");
  await page.fill("#closes-at", "2030-01-01T10:00");
  await page.getByTestId("save-settings").click();
  await page.getByTestId("settings-message").getByText("The closing time must be after the opening time.").waitFor();
  await page.fill("#opens-at", "");
  await page.fill("#closes-at", "");
  await page.getByTestId("save-settings").click();
  await page.getByTestId("settings-message").getByText(/^Settings saved at/).waitFor();
  // Publish takes unsaved settings with it: the time limit typed but not saved.
  await page.fill("#time-limit", "5");
  await shot(page, "11-review-draft");
  await page.getByTestId("publish").click();
  await page.getByTestId("pub-state").filter({ hasText: "published" }).waitFor();
  await page.getByTestId("review-message").getByText("Saved the settings, then published version 1").waitFor();
  check(await page.locator("#time-limit").inputValue() === "5", "the time limit is kept");
  check(await page.evaluate(() => document.activeElement && document.activeElement.dataset.testid) === "publish", "focus stays on Publish");
  await noPlaceholders(page, "the published review");
  await shot(page, "12-published");
  // Unpublish and Replace ask first; keeping changes nothing.
  await page.getByTestId("unpublish").click();
  await page.getByTestId("confirm").filter({ hasText: "Students will no longer see it" }).waitFor();
  await shot(page, "12b-unpublish-dialog");
  await page.getByTestId("confirm-no").click();
  check((await page.getByTestId("pub-state").textContent()) === "published", "still published");
  await page.getByTestId("replace-question").first().click();
  await page.getByTestId("confirm").filter({ hasText: "spare question written from the same lecture" }).waitFor();
  await page.getByTestId("confirm-no").click();
  check(await page.getByTestId("question-text").first().inputValue() === "Was the lecture uploaded and reviewed?", "the question is kept");
  await page.getByRole("button", { name: "Sign out" }).click();

  await signIn(page, "ui-student2@example.org", "student");
  await page.getByTestId("exam-list").waitFor();
  const facts = await page.locator('[data-exam="' + uploadName + '.json"]').getByTestId("exam-facts").textContent();
  check(facts === "1 question · 5 minutes", "the list shows the time limit: " + facts);
  await page.getByRole("link", { name: "Open " + uploadName }).click();
  await page.getByTestId("intro").waitFor();
  check((await page.getByTestId("intro").textContent()).includes("Time limit5 minutes"), "the intro shows the time limit");
  check(await page.getByTestId("countdown").count() === 0, "no clock before Start");
  await page.getByTestId("start").click();
  const clock = page.getByTestId("countdown");
  await clock.waitFor();
  const first = await clock.textContent();
  check(/^Time left: [45]:\d\d$/.test(first), "a countdown from 5 minutes: " + first);
  await page.getByText("Was the lecture uploaded and reviewed?").waitFor();
  await page.waitForTimeout(1500);
  const later = await clock.textContent();
  check(later !== first, "the countdown runs: " + first + " then " + later);
  await shot(page, "13-timed-question");
  await page.getByLabel("True", { exact: true }).check();
  await page.getByRole("button", { name: "Review answers" }).click();
  await page.getByRole("heading", { name: "Review your answers" }).waitFor();
  check(await page.getByTestId("countdown").isVisible(), "the countdown stays on the review page");
  await page.getByTestId("save-state").filter({ hasText: "All answers saved." }).waitFor();
  await page.getByRole("button", { name: "Submit answers" }).click();
  const score = page.getByTestId("score");
  await score.waitFor();
  const got = await score.textContent();
  check(got.includes("1 / 1 (100%)"), "the timed attempt is graded: " + got);
  await shot(page, "14-timed-result");
}

run("take-exam", { viewport: { width: 390, height: 844 } }, async (page) => {
  await student(page);
  await educator(page);
  await reviewAndTimedAttempt(page);
});
