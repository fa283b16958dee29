// axe.mjs: the accessibility check of a page, axe-core (npm's) run in the
// page itself, so it sees exactly what the browser rendered.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

// axeViolations(page): the page's serious and critical axe violations (the
// ones the project counts as defects), each as axe reports it: id, impact,
// help, nodes (with their target selectors).  Injects axe once per document.
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: axePath });
  }
  const result = await page.evaluate(() => window.axe.run(document));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
