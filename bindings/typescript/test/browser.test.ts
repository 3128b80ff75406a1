// The browser check: headless Chromium (Debian's package, driven by playwright-core; no downloaded
// browser) loads a page that uses the package over HTTP+SSE and runs a turn with an approval.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type Page } from "playwright-core";

import { FakeHttpServer } from "./fixtures/fake-http-server.js";
import { httpServer, NO_SERVER_REASON, serveCommand } from "./reference-server.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
// The package folder is the site root: the page is test/browser/index.html, its script and the
// package come from dist/.
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Shown {
  status: string | null;
  version: string | null;
  approvals: string | null;
  output: string | null;
  items: string[];
  errors: string[];
}

/** Opens the page in headless Chromium and returns what it shows once the turn is over. */
async function runPage(url: string): Promise<Shown> {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--headless=new"] });
  try {
    const page: Page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForSelector("#status[data-state=done], #status[data-state=failed]", { timeout: 30_000 });
    return {
      status: await page.textContent("#status"),
      version: await page.textContent("#version"),
      approvals: await page.textContent("#approvals"),
      output: await page.textContent("#output"),
      items: await page.locator("#items li").allTextContents(),
      errors,
    };
  } finally {
    await browser.close();
  }
}

test("a page using the package over HTTP+SSE runs a turn in headless Chromium (fake server)", async () => {
  const http = await new FakeHttpServer({ staticDir: PACKAGE_ROOT }).listen();
  try {
    const shown = await runPage(`${http.url}/test/browser/index.html?token=${http.token}`);
    assert.deepEqual(shown, {
      status: "turn completed",
      version: "2",
      approvals: "1: make test",
      output: "Héllo, wörld 🌍 ✓ 日本語",
      items: ["agentMessage", "commandExecution completed exit 0"],
      errors: [],
    });
  } finally {
    await http.close();
  }
});

test("the same page runs a turn against the reference server, cross-origin", { skip: serveCommand() === undefined ? NO_SERVER_REASON : false }, async () => {
  // The fake only serves the page; the page talks to the reference server on another origin.
  const site = await new FakeHttpServer({ staticDir: PACKAGE_ROOT }).listen();
  const server = await httpServer(["--allow-origin", site.url]);
  try {
    const text = "hello from the browser ✓\nrun: echo approved";
    const query = new URLSearchParams({ base: server.url, token: server.token, text });
    const shown = await runPage(`${site.url}/test/browser/index.html?${query.toString()}`);
    assert.deepEqual(shown, {
      status: "turn completed",
      version: "2",
      approvals: "1: echo approved",
      output: "hello from the browser ✓",
      items: ["userMessage", "agentMessage", "commandExecution completed exit 0"],
      errors: [],
    });
  } finally {
    await server.stop();
    await site.close();
  }
});
