// probe.mjs: decode a recorded take with BUILD_DIR/tests/tools/take-probe.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { buildDir } from './imsd.mjs';

/** Runs take-probe FILE; resolves with its JSON line plus {exitCode}. */
export function takeProbe(file) {
  const bin = path.join(buildDir, 'tests/tools/take-probe');
  return new Promise((resolve, reject) => {
    execFile(bin, [file], { encoding: 'utf8', timeout: 20000, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').filter(Boolean).pop() || '';
      let json;
      try {
        json = JSON.parse(line);
      } catch {
        reject(new Error(`take-probe ${file}: no JSON (exit ${err ? err.code : 0}): ${stdout}\n${stderr}`));
        return;
      }
      json.exitCode = err ? err.code : 0;
      resolve(json);
    });
  });
}
