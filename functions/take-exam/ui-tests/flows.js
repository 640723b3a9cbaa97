// Browser test of what new teachers and students try: headless Debian
// chromium driven by playwright-core, at phone size (390 px) unless said.
//
//   node flows.js <base-url>
//
// env: EXAMFN_TEST_PLAYWRIGHT_DIR  a directory holding node_modules/playwright-core (required)
//      EXAMFN_UI_ARTIFACTS         where screenshots go
//      EXAMFN_UI_EXAM              the published, timed, shuffled exam (its owner uploaded it)
//      EXAMFN_UI_OWNER             the owner's email
//      EXAMFN_UI_LIMIT             its time limit in seconds
//
// The browser is never downloaded: /usr/bin/chromium is used as installed.
"use strict";

const { base, check, shot, signIn, run } = require("./common");

const exam = process.env.EXAMFN_UI_EXAM;
const short = exam.replace(/\.json$/, "");
const owner = process.env.EXAMFN_UI_OWNER;
const limit = Number(process.env.EXAMFN_UI_LIMIT || "12");
const KEY = { "2+2?": "4", "The sky is green.": "False", "Capital of France?": "Paris", "Which statements hold?": "Both I and II" };
const ORDERED = { "The sky is green.": ["True", "False"], "Which statements hold?": ["I only", "II only", "Both I and II", "Neither I nor II"] };

async function noPlaceholders(page, where) {
  const text = await page.locator("main").textContent();
  check(!/\bundefined\b|\bnull\b|NaN|\.json\b/.test(text), "no undefined, null, NaN or .json on " + where + ": " + text.slice(0, 300));
}

// Nothing scrolls sideways at 390 px.
async function fits(page, where) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, where + " fits a 390 px phone: " + wide + " px wide");
}

async function signOut(page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByText("Development sign-in").first().waitFor();
}

// A student starts the timed exam, looks at every question, answers the first and
// lets the time run out: the page submits, the result comes in the order seen.
async function timedOut(page) {
  await signIn(page, "ann@school.edu", "student");
  const card = page.locator('[data-exam="' + exam + '"]');
  await card.waitFor();
  const facts = await card.getByTestId("exam-facts").textContent();
  check(facts === "4 questions · " + limit + " seconds · 1 attempt left of 1", "the list says what the exam is: " + facts);
  await fits(page, "the student's list");
  await card.getByRole("link", { name: "Open " + short }).click();
  await page.getByTestId("intro").waitFor();
  check((await page.getByTestId("intro").textContent()).includes("Time limit" + limit + " seconds"), "the intro's time limit");
  check(await page.getByTestId("countdown").count() === 0, "no clock on the intro");
  await noPlaceholders(page, "the intro");
  await shot(page, "f01-intro");
  await page.getByTestId("start").click();
  await page.getByTestId("countdown").waitFor();
  // Every question through the panel: the order shown, and the options of the ordered sets.
  const seen = [];
  for (let k = 1; k <= 4; k++) {
    await page.getByTestId("panel-" + k).click();
    await page.getByText("Question " + k + " of 4").waitFor();
    const legend = await page.locator("fieldset legend").first().textContent();
    const q = legend.replace(/^Question \d+: /, "");
    seen.push(q);
    const opts = (await page.locator("fieldset label").allTextContents()).map((t) => t.trim());
    if (ORDERED[q]) check(JSON.stringify(opts) === JSON.stringify(ORDERED[q]), "the options of “" + q + "” keep their order: " + opts.join(", "));
  }
  await page.getByTestId("panel-1").click();
  await page.getByLabel(KEY[seen[0]], { exact: true }).check();
  await page.getByTestId("save-state").filter({ hasText: "All answers saved." }).waitFor();
  await fits(page, "a question");
  await shot(page, "f02-question-with-clock");
  // The time runs out: the page submits what is answered.
  await page.getByTestId("auto-submitted").waitFor({ timeout: (limit + 10) * 1000 });
  const score = await page.getByTestId("score").textContent();
  check(score.includes("1 / 4 (25%)"), "graded with one answer: " + score);
  const order = await page.getByTestId("details").locator("li > strong").allTextContents();
  check(JSON.stringify(order) === JSON.stringify(seen), "the result in the order seen: " + order.join(" | ") + " vs " + seen.join(" | "));
  const notAnswered = await page.getByTestId("details").getByText("Not answered").count();
  check(notAnswered === 3, "three not answered, got " + notAnswered);
  await noPlaceholders(page, "the automatic result");
  await fits(page, "the result");
  await shot(page, "f03-auto-submitted");
  await page.getByRole("link", { name: "All my results" }).click();
  await page.getByTestId("auto-badge").waitFor();
  await noPlaceholders(page, "my results");
  await shot(page, "f04-my-results");
  // The one attempt is used: no Start, and the intro says why.
  await page.getByRole("link", { name: "Exams" }).click();
  await card.waitFor();
  check((await card.getByTestId("exam-status").textContent()) === "No attempts left", "listed as used up");
  check(await card.getByRole("link", { name: "Open " + short }).count() === 0, "no way to start it");
  await card.getByRole("link", { name: "Details of " + short }).click();
  await page.getByTestId("cannot-start").filter({ hasText: "You have used every attempt allowed." }).waitFor();
  check(await page.getByTestId("start").count() === 0, "no Start on the intro");
  await signOut(page);
}

// A student answers one question and walks away: after the time and the grace,
// the server has closed the attempt with that answer, and it is listed.
async function abandoned(page) {
  await signIn(page, "bob@school.edu", "student");
  await page.locator('[data-exam="' + exam + '"]').getByRole("link", { name: "Open " + short }).click();
  await page.getByTestId("start").click();
  await page.getByTestId("countdown").waitFor();
  const legend = await page.locator("fieldset legend").first().textContent();
  await page.getByLabel(KEY[legend.replace(/^Question \d+: /, "")], { exact: true }).check();
  await page.getByTestId("save-state").filter({ hasText: "All answers saved." }).waitFor();
  await page.goto(base + "/#/");
  await page.getByTestId("exam-list").waitFor();
  check((await page.locator('[data-exam="' + exam + '"]').getByTestId("exam-status").textContent()) === "In progress", "listed as in progress");
  // Time limit plus the 2 s grace, and a margin.
  await page.waitForTimeout((limit + 4) * 1000);
  await page.getByRole("link", { name: "My results" }).click();
  await page.getByTestId("my-results").waitFor();
  await page.getByTestId("auto-badge").waitFor();
  const row = await page.getByTestId("my-results").locator(":scope > li").first().textContent();
  check(row.includes("1/4 (25%)"), "closed with the saved answer: " + row);
  await shot(page, "f05-closed-by-server");
  await signOut(page);
}

// Another educator neither lists nor opens the exam.
async function otherEducator(page) {
  await signIn(page, "other@school.edu", "educator");
  await page.getByTestId("educator-exams").getByText("No exams yet").waitFor();
  await page.goto(base + "/#/review/" + encodeURIComponent(exam));
  await page.getByRole("alert").filter({ hasText: "no exam named " + short }).waitFor();
  await shot(page, "f06-other-educator-refused");
  await page.goto(base + "/#/reports/" + encodeURIComponent(exam));
  await page.getByRole("alert").filter({ hasText: "no exam named " + short }).waitFor();
  await signOut(page);
}

// The owner shares the exam, previews it as a student, reads the attempts and
// gives a student another attempt.
async function ownerSide(page) {
  await signIn(page, owner, "educator");
  const row = page.locator('tr[data-exam="' + exam + '"]');
  await row.waitFor();
  await fits(page, "the educator's list");
  await row.getByRole("link", { name: "Review " + short, exact: true }).click();
  await page.getByTestId("sharing").waitFor();
  await page.fill("#co-owner", "colleague@school.edu");
  await page.getByTestId("add-co-owner").click();
  await page.getByTestId("sharing").getByText("Shared with colleague@school.edu").waitFor();
  await page.getByTestId("co-owners").getByText("colleague@school.edu").waitFor();
  await fits(page, "the review page");
  await noPlaceholders(page, "the review page");
  await shot(page, "f07-shared");

  // Preview: as a student would take it; nothing is recorded.
  await page.getByTestId("preview").click();
  await page.getByTestId("preview-banner").waitFor();
  await page.getByTestId("countdown").waitFor();
  const legend = await page.locator("fieldset legend").first().textContent();
  await page.getByLabel(KEY[legend.replace(/^Question \d+: /, "")], { exact: true }).check();
  await shot(page, "f08-preview");
  await page.getByTestId("panel-review").click();
  await page.getByTestId("submit").click();
  await page.getByTestId("confirm-yes").click().catch(() => {});
  await page.getByText("Preview: this result was not recorded.").waitFor({ timeout: (limit + 10) * 1000 });
  await noPlaceholders(page, "the preview result");
  await shot(page, "f09-preview-result");

  // The results: both attempts, submitted automatically; one opened; an exception.
  await page.goto(base + "/#/reports/" + encodeURIComponent(exam));
  await page.getByTestId("attempts").waitFor();
  const rows = await page.getByTestId("attempts").locator("tbody tr").count();
  check(rows === 2, "two attempts listed (the preview is not one), got " + rows);
  check((await page.getByTestId("attempts").getByText("automatically").count()) === 2, "both submitted automatically");
  await fits(page, "the results page");
  await noPlaceholders(page, "the results page");
  // Chart labels stay readable on a phone: 13 px drawn at (nearly) their own size.
  const label = await page.evaluate(() => {
    const svgEl = document.querySelector('[data-testid="facility-chart"]');
    const t = svgEl.querySelector("text");
    return { font: parseFloat(getComputedStyle(t).fontSize), scale: svgEl.getBoundingClientRect().width / svgEl.viewBox.baseVal.width };
  });
  check(label.font * label.scale >= 11, "chart labels at least 11 px on a phone: " + JSON.stringify(label));
  await page.getByTestId("explain").locator("summary").click();
  await shot(page, "f10-results-phone");
  await page.getByRole("link", { name: "View the attempt of ann@school.edu" }).click();
  await page.getByTestId("attempt-student").waitFor();
  await page.getByTestId("auto-submitted").waitFor();
  check((await page.getByTestId("details").locator("li").count()) === 4, "every question of the attempt");
  await noPlaceholders(page, "one attempt");
  await fits(page, "one attempt");
  await shot(page, "f11-attempt");
  await page.getByRole("link", { name: "Back to the results" }).click();
  const bob = page.locator('tr[data-student="bob@school.edu"]');
  await bob.waitFor();
  await bob.getByLabel("Extra attempts for bob@school.edu").fill("1");
  await bob.getByRole("button", { name: "Save the exceptions of bob@school.edu" }).click();
  await page.getByTestId("students-message").getByText("Saved for bob@school.edu").waitFor();

  // On a desktop the labels do not grow.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.reload();
  await page.getByTestId("facility-chart").waitFor();
  const desk = await page.evaluate(() => {
    const svgEl = document.querySelector('[data-testid="facility-chart"]');
    const t = svgEl.querySelector("text");
    return { font: parseFloat(getComputedStyle(t).fontSize), scale: svgEl.getBoundingClientRect().width / svgEl.viewBox.baseVal.width };
  });
  check(desk.font * desk.scale <= 16, "chart labels at most 16 px on a desktop: " + JSON.stringify(desk));
  await shot(page, "f12-reports-desktop");
  await page.setViewportSize({ width: 390, height: 844 });
  await signOut(page);
}

// The extra attempt the owner gave bob in the browser lets him start again.
async function extraAttempt(page) {
  await signIn(page, "bob@school.edu", "student");
  const card = page.locator('[data-exam="' + exam + '"]');
  await card.waitFor();
  const facts = await card.getByTestId("exam-facts").textContent();
  check(facts.endsWith("1 attempt left of 2"), "one more attempt: " + facts);
  check(await card.getByRole("link", { name: "Open " + short }).count() === 1, "he can open it again");
  await signOut(page);
}

// The colleague the owner added sees it, marked as shared, and opens it.
async function coOwner(page) {
  await signIn(page, "colleague@school.edu", "educator");
  const row = page.locator('tr[data-exam="' + exam + '"]');
  await row.waitFor();
  check((await row.textContent()).includes("shared by " + owner), "marked as shared by its owner");
  await row.getByRole("link", { name: "Review " + short, exact: true }).click();
  await page.getByTestId("pub-state").waitFor();
  check((await page.getByTestId("sharing").textContent()).includes("Only the owner can change who shares it."), "a co-owner cannot reshare");
  await shot(page, "f13-co-owner");
}

run("flows", { viewport: { width: 390, height: 844 } }, async (page) => {
  await timedOut(page);
  await abandoned(page);
  await otherEducator(page);
  await ownerSide(page);
  await extraAttempt(page);
  await coOwner(page);
});
