// What every browser journey needs: the browser, one context per person, steps that
// report themselves, screenshots, and two watchers every page carries:
// - page health: a script error or a Content-Security-Policy violation on any page
//   fails the run (the gateway serves the UI under a strict CSP);
// - for guests, the frames their socket received, so a test can prove that nothing
//   meant for employees reached the browser at all, not only that it is not shown.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const WEB_URL = process.env.WEB_URL ?? "http://127.0.0.1:8080";
const SHOTS_DIR = process.env.SHOTS_DIR ?? "e2e/out";
const TIMEOUT = 10_000;
mkdirSync(SHOTS_DIR, { recursive: true });

export const results = [];
export async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
    throw e;
  }
}

export const shot = (page, name) => page.screenshot({ path: join(SHOTS_DIR, `${name}.png`) });
export const log = (page) => page.getByRole("log", { name: "Messages" });

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Problems any page reported: uncaught errors and CSP violations. */
export const pageProblems = [];

/**
 * A new person: their own context (storage, cookies, sockets) and one page.
 * `frames: true` records the text of every WebSocket frame the page receives.
 */
export async function person(browser, who, { viewport = { width: 1200, height: 760 }, frames = false } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => pageProblems.push(`${who}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) pageProblems.push(`${who}: ${m.text()}`);
  });
  page.received = [];
  if (frames) {
    page.on("websocket", (ws) => ws.on("framereceived", (f) => page.received.push(String(f.payload))));
  }
  return page;
}

export async function signIn(page, user, password = `${user}-pass`) {
  await page.goto(`${WEB_URL}/`);
  await page.getByLabel("Username", { exact: true }).fill(user);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/**
 * Fails if a guest's socket ever carried employees-only content: a message marked
 * `employees`, a streamed delta of a message the guest was never given, or any of
 * `secrets` (texts only employees saw) anywhere in a frame.
 */
export function assertGuestWireClean(page, secrets) {
  const given = new Set();
  for (const raw of page.received) {
    for (const secret of secrets) {
      if (secret && raw.includes(secret)) throw new Error(`a guest frame carried ${JSON.stringify(secret)}`);
    }
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      continue;
    }
    const messages = [frame.message, ...(frame.data?.messages ?? []), frame.data?.message].filter(Boolean);
    for (const m of messages) {
      if (m.visibility !== "everyone") throw new Error(`a guest frame carried a ${m.visibility} message ${m.id}`);
      given.add(m.id);
    }
    if (frame.type === "message.delta" && !given.has(frame.messageId)) {
      throw new Error(`a guest frame streamed message ${frame.messageId} it was never given`);
    }
  }
  return page.received.length;
}
