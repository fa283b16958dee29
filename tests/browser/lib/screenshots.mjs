// screenshots.mjs: full-page screenshots of the screens a test walks
// through, for people to look at (CI keeps the folder as an artifact).
//
// The folder is $IMSD_SCREENSHOT_DIR (made if missing), else
// <tmp>/imsd-screenshots; one subfolder per test file.  The first call prints
// where they go, as a TAP comment, so the run's log names the folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let announced = false;

// saveScreenshot(page, suite, name): <folder>/<suite>/<name>.png, the whole
// page.  A screenshot that cannot be taken is reported, never fails a test.
export async function saveScreenshot(page, suite, name) {
  const root = process.env.IMSD_SCREENSHOT_DIR || path.join(os.tmpdir(), 'imsd-screenshots');
  const dir = path.join(root, suite);
  fs.mkdirSync(dir, { recursive: true });
  if (!announced) {
    console.log(`screenshots in ${root}`);
    announced = true;
  }
  const file = path.join(dir, `${name}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true });
  } catch (e) {
    console.log(`screenshot ${file} not taken: ${e.message}`);
  }
  return file;
}
