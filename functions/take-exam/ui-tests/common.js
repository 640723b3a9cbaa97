// What the browser scripts share: the command line and environment, headless
// Debian chromium through playwright-core (never downloaded), screenshots,
// the development sign-in, and a run that fails on any script error or CSP
// violation the page reports.
//
// env: EXAMFN_TEST_PLAYWRIGHT_DIR  a directory holding node_modules/playwright-core (required)
//      EXAMFN_UI_ARTIFACTS         where screenshots (and downloads) go (default target/ui-artifacts)
"use strict";

const path = require("path");
const fs = require("fs");
const os = require("os");

const base = process.argv[2];
const pwDir = process.env.EXAMFN_TEST_PLAYWRIGHT_DIR;
if (!base || !pwDir) {
  console.error("usage: EXAMFN_TEST_PLAYWRIGHT_DIR=<dir with node_modules/playwright-core> node " + path.basename(process.argv[1]) + " <base-url>");
  process.exit(2);
}
const { chromium } = require(path.join(pwDir, "node_modules", "playwright-core"));
const artifacts = process.env.EXAMFN_UI_ARTIFACTS || path.join("target", "ui-artifacts");
fs.mkdirSync(artifacts, { recursive: true });

function check(cond, msg) {
  if (!cond) throw new Error("check failed: " + msg);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, name + ".png"), fullPage: true });
}

async function signIn(page, email, role) {
  await page.goto(base + "/#/signin");
  await page.getByText("Development sign-in").first().waitFor();
  await page.fill("#email", email);
  await page.selectOption("#role", role);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("who").filter({ hasText: email }).waitFor();
}

// Run `steps(page)` in a fresh browser profile; the process fails (exit code
// 1, a `<name>-failure` screenshot) on an exception or on a script error the
// page reports (401, 403, 404 and 409 responses the steps provoke are expected).
async function run(name, options, steps) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "examfn-ui-" + name + "-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    ...options,
  });
  const problems = [];
  let page;
  try {
    page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(15000);
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    await steps(page);
    // 401, 403, 404 and 409 (a name reused: the page asks) are answers the steps provoke.
    const bad = problems.filter((p) => !/status of 40[1349]/.test(p));
    check(bad.length === 0, "no script errors or CSP violations:\n" + bad.join("\n"));
    console.log(name + " ui test passed; screenshots in " + artifacts);
  } catch (e) {
    if (page) await shot(page, name + "-failure").catch(() => {});
    console.error(e.stack || String(e));
    if (problems.length) console.error(problems.join("\n"));
    process.exitCode = 1;
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

module.exports = { base, artifacts, check, shot, signIn, run };
