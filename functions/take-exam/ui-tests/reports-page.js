// Browser test of the educator's results page (#/reports/<exam>): headless
// Debian chromium driven by playwright-core. The educator opens the page from
// the exam table ("Results"), reads the item analysis (charts and flags) and
// downloads the Moodle XML, QTI 1.2 and QTI 2.1 exports and the results CSV.
//
//   node reports-page.js <base-url>
//
// env: EXAMFN_TEST_PLAYWRIGHT_DIR  a directory holding node_modules/playwright-core (required)
//      EXAMFN_UI_ARTIFACTS         where screenshots and downloads go
//      EXAMFN_UI_EXAM              the seeded exam's name
//      EXAMFN_UI_EXPECT            JSON: {questions, attempts, flags: {"<n>": [flag...]}, students: [...]}
//
// The browser is never downloaded: /usr/bin/chromium is used as installed.
"use strict";

const path = require("path");
const fs = require("fs");
const { base, artifacts, check, shot, signIn, run } = require("./common");

const exam = process.env.EXAMFN_UI_EXAM;
const expect = JSON.parse(process.env.EXAMFN_UI_EXPECT || "{}");

// Click a download button; return the file's suggested name and bytes.
async function download(page, id) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-" + id).click()]);
  const file = path.join(artifacts, dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(file) };
}

async function reports(page) {
  await signIn(page, "ui-educator@example.org", "educator");
  const row = page.locator('tr[data-exam="' + exam + '"]');
  await row.waitFor();
  await row.getByRole("link", { name: "Results of " + exam.replace(/\.json$/, "") }).click();
  await page.getByRole("heading", { name: "Results " + exam.replace(/\.json$/, "") }).waitFor();
  await page.getByTestId("analysis").waitFor();
  await shot(page, "reports-01-analysis");

  const stats = await page.getByTestId("analysis-stats").textContent();
  check(new RegExp(expect.attempts + "\\s*attempts").test(stats), "attempt count in " + stats);
  const bars = await page.locator('[data-testid="facility-chart"] rect.facility-bar').count();
  check(bars === expect.questions, "one facility bar per question, got " + bars);
  const optionCharts = await page.locator('[data-testid="options-chart"]').count();
  check(optionCharts === expect.questions, "one option chart per question, got " + optionCharts);
  for (let n = 1; n <= expect.questions; n++) {
    const flags = await page.locator('ol.analysis li[data-question="' + n + '"] [data-flag]').evaluateAll((els) => els.map((e) => e.dataset.flag));
    const want = (expect.flags || {})[String(n)] || [];
    check(JSON.stringify(flags) === JSON.stringify(want), "flags of question " + n + ": " + JSON.stringify(flags) + " != " + JSON.stringify(want));
  }
  const label = await page.locator('[data-testid="facility-chart"]').getAttribute("aria-label");
  check(/Q1 100% \(too easy\)/.test(label), "the chart is described for screen readers: " + label);
  const red = await page.locator('[data-testid="facility-chart"] rect.facility-bar').evaluateAll((els) => els.map((e) => getComputedStyle(e).fill));
  const flagged = red.map((f, i) => (f === "rgb(179, 38, 30)" ? i + 1 : 0)).filter((n) => n);
  check(JSON.stringify(flagged) === JSON.stringify(Object.keys(expect.flags || {}).map(Number)), "flagged bars drawn red: " + red.join(", "));

  const moodle = await download(page, "moodle");
  check(moodle.name === exam.replace(/\.json$/, "") + "-moodle.xml", "moodle file name " + moodle.name);
  const xml = moodle.bytes.toString("utf8");
  check(xml.includes("<quiz>") && xml.includes('type="truefalse"') && xml.includes('type="multichoice"'), "Moodle XML content");
  await page.getByTestId("download-status").getByText("Downloaded " + moodle.name).waitFor();

  for (const id of ["qti12", "qti21"]) {
    const z = await download(page, id);
    check(z.name.endsWith("-" + id + ".zip"), id + " file name " + z.name);
    check(z.bytes.subarray(0, 4).toString("latin1") === "PK\x03\x04", id + " is a zip");
    check(z.bytes.includes(Buffer.from("imsmanifest.xml")), id + " has a manifest");
  }

  const csv = await download(page, "csv");
  check(csv.name.endsWith("-results.csv"), "csv file name " + csv.name);
  const lines = csv.bytes.toString("utf8").split("\r\n").filter((l) => l);
  check(lines[0].startsWith("student,attempt_id,submitted_at,score,total,percentage,result,submitted_by,Q1: "), "csv header " + lines[0]);
  check(lines.length === expect.attempts + 1, "one csv row per attempt, got " + (lines.length - 1));
  for (const s of expect.students || []) check(lines.some((l) => l.startsWith(s + ",")), "csv row for " + s);
  await shot(page, "reports-02-downloaded");

  // Reloading on the page's own address shows it again (the router is taken over, not bypassed).
  await page.reload();
  await page.getByTestId("analysis").waitFor();
  await page.getByRole("link", { name: "Back" }).click();
  await page.getByTestId("educator-exams").locator("table").waitFor();
}

run("reports", { acceptDownloads: true, viewport: { width: 1024, height: 900 } }, async (page) => {
  await reports(page);
});
