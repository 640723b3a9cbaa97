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

async function student(page) {
  await signIn(page, "ui-student@example.org", "student");
  await page.getByTestId("exam-list").waitFor();
  await shot(page, "01-student-exams");
  await page.getByRole("link", { name: "Take exam " + exam }).click();

  for (let i = 0; i < answers.length; i++) {
    await page.getByText("Question " + (i + 1) + " of " + answers.length).waitFor();
    if (i === 0) {
      // Keyboard only: the first option has focus; arrows move within the group,
      // Space selects, Enter submits the form (Next).
      const labels = await page.locator("fieldset label").allTextContents();
      const target = labels.findIndex((l) => l.trim() === answers[i]);
      check(target >= 0, "answer " + answers[i] + " is an option");
      for (let k = 0; k < target; k++) await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Space");
      check(await page.getByLabel(answers[i], { exact: true }).isChecked(), "keyboard selected the answer");
      if (i === 0) {
        await noPlaceholders(page, "the question page");
        await shot(page, "02-question-1");
      }
      await page.keyboard.press("Enter");
    } else {
      await page.getByLabel(answers[i], { exact: true }).check();
      if (i === 1) {
        // Back keeps the earlier answer.
        await page.getByRole("button", { name: "Back" }).click();
        check(await page.getByLabel(answers[0], { exact: true }).isChecked(), "back keeps answer 1");
        await page.getByRole("button", { name: "Next" }).click();
        check(await page.getByLabel(answers[1], { exact: true }).isChecked(), "next keeps answer 2");
      }
      await page.getByRole("button", { name: i === answers.length - 1 ? "Review" : "Next" }).click();
    }
  }
  await page.getByRole("heading", { name: "Review your answers" }).waitFor();
  await shot(page, "03-review");
  // A double click must still store one attempt (same Idempotency-Key, button disabled).
  await page.getByRole("button", { name: "Submit answers" }).dblclick();
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
  await page.locator("ul.list li").first().waitFor();
  const rows = await page.locator("ul.list li").count();
  check(rows === 1, "one stored attempt after a double click, got " + rows);
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
  await page.getByText("Uploaded exams/" + uploadName + ".pdf").waitFor();
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
  await row.locator(".state-ready").waitFor({ timeout: 30000 });
  if (flagged) {
    const note = await row.getByTestId("needs-review").textContent();
    check(note.trim() === "— 1 needs review", "the ready row says a question needs review: " + note);
  }
  await shot(page, "08-ready");

  await page.locator('tr[data-exam="' + exam + '"]').getByRole("link", { name: "Preview" }).click();
  await page.getByText("(correct)").first().waitFor();
  await shot(page, "09-preview");
  await page.getByRole("link", { name: "Scoreboard" }).click();
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
  await row.getByRole("link", { name: "Review " + uploadName + ".json" }).click();
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
  await text.fill("Was the lecture uploaded and reviewed?");
  // Make "False" the option text "No" and keep "True" correct.
  await page.getByLabel("Question 1 option 2").fill("No");
  await page.getByTestId("save-draft").click();
  await page.getByText("Editing the draft, version 1.").waitFor();
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
  await page.fill("#time-limit", "5");
  await page.getByTestId("save-settings").click();
  await page.getByTestId("settings").getByText("Settings saved.").waitFor();
  await shot(page, "11-review-draft");
  await page.getByTestId("publish").click();
  await page.getByTestId("pub-state").filter({ hasText: "published" }).waitFor();
  check(await page.locator("#time-limit").inputValue() === "5", "the time limit is kept");
  await shot(page, "12-published");
  await page.getByRole("button", { name: "Sign out" }).click();

  await signIn(page, "ui-student2@example.org", "student");
  await page.getByTestId("exam-list").waitFor();
  await page.getByRole("link", { name: "Take exam " + uploadName + ".json" }).click();
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
  await page.getByRole("button", { name: "Review" }).click();
  await page.getByRole("heading", { name: "Review your answers" }).waitFor();
  check(await page.getByTestId("countdown").isVisible(), "the countdown stays on the review page");
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
