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

/**
 * The value after `--name` as a duration in ms, in the agent's own grammar
 * (`300s`, `5m`, `60000ms`: what LEAKWATCH_WINDOW accepts), or `fallback`.
 * Needs the compiled agent.
 */
function durationOption(name, fallback, argv = process.argv.slice(2)) {
  const text = option(name, undefined, argv);
  if (text === undefined) return fallback;
  const { parseDuration } = require('../../dist/agent/duration.js');
  const ms = parseDuration(text);
  if (ms === undefined) throw new RangeError(`--${name} must look like 300s, 5m or 60000ms`);
  return ms;
}

module.exports = { option, numberOption, durationOption };
