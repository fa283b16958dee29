// stack.mjs: the end of what a test file starts around imsd, and one
// candidate page's life, for test files that hold them in variables.
//
//   stopStack({browser, imsd, s3, pg}) -- closes Chromium, stops imsd (its
//                        log and spool kept if a test failed, and then the
//                        s3rver data too), s3rver and a private PostgreSQL
//                        (lib/postgres.mjs); any of them may be missing
//   onCandidatePage(browser, joinUrl, fn)
//                     -- opens the join link (lib/candidate.mjs), resolves
//                        with fn(page); a failure's message gets the page's
//                        state and text (describePage); the page is closed
//                        either way
import { describePage } from './browser.mjs';
import { openCandidate } from './candidate.mjs';

export async function stopStack({ browser, imsd, s3, pg }) {
  if (browser) await browser.close();
  if (imsd && imsd.failed && s3) s3.keep = true;
  if (imsd) await imsd.shutdown();
  if (s3) await s3.shutdown();
  if (pg) pg.shutdown();
}

export async function onCandidatePage(browser, joinUrl, fn) {
  const page = await openCandidate(browser.context, joinUrl);
  try {
    return await fn(page);
  } catch (err) {
    throw new Error(`${err.message}\n${await describePage(page).catch(() => '')}`);
  } finally {
    await page.close();
  }
}
