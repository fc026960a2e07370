'use strict';
/**
 * Command-line options of the benchmark scripts: `--name value`. A flag
 * without a value (the last word) counts as absent.
 */

/** The value after `--name`, or `fallback`. */
function option(name, fallback, argv = process.argv.slice(2)) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}

/** The value after `--name` as a number, or `fallback`. */
function numberOption(name, fallback, argv = process.argv.slice(2)) {
  const v = option(name, undefined, argv);
  return v === undefined ? fallback : Number(v);
}

module.exports = { option, numberOption };
