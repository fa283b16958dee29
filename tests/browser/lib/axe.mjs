// axe.mjs: axe-core (the npm package, node_modules/axe-core/axe.min.js) run
// inside a page, for the accessibility checks of the page tests.
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_PATH = path.join(path.dirname(require.resolve('axe-core/package.json')), 'axe.min.js');

/**
 * The serious and critical axe-core violations of the page as it is now
 * (injects axe once per document): [{id, impact, help, targets}], empty when
 * clean.  Each carries the selectors of its nodes so a failure names them.
 */
export async function axeViolations(page) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
