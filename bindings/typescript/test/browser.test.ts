// The browser check: headless Chromium (Debian's package, driven by playwright-core; no downloaded
// browser) loads a page that uses the package over HTTP+SSE and runs a turn with an approval.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { FakeHttpServer } from "./fixtures/fake-http-server.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
// The package folder is the site root: the page is test/browser/index.html, its script and the
// package come from dist/.
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("a page using the package over HTTP+SSE runs a turn in headless Chromium", async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  const http = await new FakeHttpServer({ staticDir: PACKAGE_ROOT }).listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"] });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${http.url}/test/browser/index.html?token=${http.token}`);
    await page.waitForSelector("#status[data-state=done], #status[data-state=failed]", { timeout: 30_000 });
    assert.equal(await page.textContent("#status"), "turn completed");
    assert.equal(await page.textContent("#version"), "2");
    assert.equal(await page.textContent("#approvals"), "1: make test");
    assert.equal(await page.textContent("#output"), "Héllo, wörld 🌍 ✓ 日本語");
    assert.deepEqual(await page.locator("#items li").allTextContents(), ["agentMessage", "commandExecution completed exit 0"]);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    await http.close();
  }
});
