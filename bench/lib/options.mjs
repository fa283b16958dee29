// options.mjs: the benchmarks' command lines (bench/vs-janus.mjs,
// bench/live-room.mjs) read from a table, as "--name value" or "--flag".
import path from 'node:path';

const READERS = {
  number: v => Number(v),
  numbers: v => v.split(',').map(Number),     // "1,2,4"
  list: v => v.split(','),                     // "h264,vp8"
  path: v => path.resolve(v),
  string: v => v,
};

/** defaults with argv's options applied; spec: {'--name': [key, kind]}, kind one of READERS's or
 * 'flag' (no value: true).  Throws on an option not in spec or one without its value. */
export function parseOptions(argv, defaults, spec) {
  const args = { ...defaults };
  for (let i = 2; i < argv.length; i++) {
    const entry = spec[argv[i]];
    if (!entry) throw new Error(`unknown argument ${argv[i]}`);
    const [key, kind] = entry;
    if (kind === 'flag') { args[key] = true; continue; }
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    args[key] = READERS[kind](argv[++i]);
  }
  return args;
}
