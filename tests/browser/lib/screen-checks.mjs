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
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  if (scrollWidth > innerWidth) {
    problems.push(`${name}: horizontal overflow, page ${scrollWidth} px wide in a ${innerWidth} px window`);
  }
  return problems;
}
