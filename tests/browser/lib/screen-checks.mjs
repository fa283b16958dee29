// screen-checks.mjs: what every screen a test reaches must pass: no serious
// or critical axe violation, no horizontal overflow; and a full-page
// screenshot of it for people to look at.
import { axeViolations } from './axe.mjs';
import { saveScreenshot } from './screenshots.mjs';

// checkScreen(page, suite, name): screenshot <suite>/<name>.png, then the
// checks; returns the problems as lines naming the screen, the rule, its
// impact and the selectors, so a failure says what to fix and where.
export async function checkScreen(page, suite, name) {
  await saveScreenshot(page, suite, name);
  const problems = [];
  for (const v of await axeViolations(page)) {
    problems.push(`${name}: axe ${v.id} (${v.impact}) at ${v.targets.join(', ')}: ${v.help}`);
  }
  const overflow = await horizontalOverflow(page);
  if (overflow.by > 0) {
    problems.push(`${name}: horizontal overflow, page ${overflow.scrollWidth} px wide in ${overflow.clientWidth} px`);
  }
  return problems;
}

// horizontalOverflow(page): how far the page is wider than the room it has
// ({by, scrollWidth, clientWidth}; by > 0 is an overflow).  clientWidth, not
// innerWidth: a classic scrollbar takes 15 px of the window, and content
// under it is cut off as surely as content past the window's edge.
export async function horizontalOverflow(page) {
  const size = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  return { ...size, by: size.scrollWidth - size.clientWidth };
}
