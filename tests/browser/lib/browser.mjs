// browser.mjs: Debian's Chromium through playwright-core, and helpers to drive
// the candidate page (web-test-client/candidate/) through its test hooks
// (window.imsd = {state, log, errors, sent, pc, send}).
//
// launchBrowser() -> {context, close()}: a persistent context in a fresh
// --user-data-dir (mkdtemp), fake camera + microphone, auto-granted.
// close() closes the context and removes the profile directory.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

export async function launchBrowser() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsd-chromium-'));
  // launchPersistentContext passes userDataDir as --user-data-dir; headless is
  // chosen by our own --headless=new flag.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.IMSD_CHROMIUM || '/usr/bin/chromium',
    headless: false,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 800 },
  });
  return {
    context,
    userDataDir,
    async close() {
      try { await context.close(); } catch { /* already gone */ }
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The page's latest `state` message (null before one arrived). */
export function pageState(page) {
  return page.evaluate(() => (window.imsd ? window.imsd.state : null));
}

/**
 * Waits until predicate(state) is true for window.imsd.state; predicate is a
 * function source evaluated in the page, e.g. 's => s.phase === "review"'.
 */
export async function waitForState(page, predicateSource, { timeoutMs = 30000, what } = {}) {
  try {
    await page.waitForFunction(
      (src) => {
        const s = window.imsd && window.imsd.state;
        // eslint-disable-next-line no-new-func
        return Boolean(s) && (0, eval)(`(${src})`)(s);
      },
      predicateSource,
      { timeout: timeoutMs, polling: 100 },
    );
  } catch (err) {
    const dump = await describePage(page).catch((e) => `(page gone: ${e.message})`);
    throw new Error(`waiting for ${what || predicateSource}: ${err.message.split('\n')[0]}\n${dump}`);
  }
  return pageState(page);
}

/** A short text dump of the page's hooks for failure messages. */
export async function describePage(page) {
  const info = await page.evaluate(() => {
    const i = window.imsd || {};
    return {
      state: i.state,
      errors: i.errors,
      sent: (i.sent || []).map((m) => m.type).slice(-30),
      received: (i.log || []).map((m) => (m.type === 'state' ? `state:${m.phase}:${m.questionIndex}:${m.mediaReady}` : m.type === 'error' ? `error:${m.code}` : m.type)).slice(-40),
      status: document.getElementById('status') && document.getElementById('status').textContent,
      pc: i.pc ? { connectionState: i.pc.connectionState, iceConnectionState: i.pc.iceConnectionState } : null,
    };
  });
  return `page hooks: ${JSON.stringify(info, null, 1)}`;
}

/** Clicks a button once it is visible and enabled. */
export async function clickButton(page, id) {
  const button = page.locator(`#${id}`);
  await button.waitFor({ state: 'visible', timeout: 15000 });
  await page.waitForFunction((bid) => !document.getElementById(bid).disabled, id, { timeout: 30000 })
    .catch(async (err) => {
      throw new Error(`#${id} never became enabled: ${err.message.split('\n')[0]}\n${await describePage(page)}`);
    });
  await button.click();
}

/**
 * The size of the video the browser is sending right now: outbound-rtp
 * frameWidth/frameHeight from pc.getStats() (null if no frames yet).
 */
export async function sentVideoSize(page) {
  return page.evaluate(async () => {
    const pc = window.imsd && window.imsd.pc;
    if (!pc) return null;
    const stats = await pc.getStats();
    let out = null;
    stats.forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video' && r.frameWidth && r.frameHeight) {
        out = { width: r.frameWidth, height: r.frameHeight, framesSent: r.framesSent };
      }
    });
    return out;
  });
}
