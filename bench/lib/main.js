'use strict';
/**
 * Runs a benchmark's async main: its result is the exit status; an error
 * is printed with its stack and makes it 1.
 * @param {() => Promise<number | undefined>} main
 */
function runMain(main) {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err) => {
      process.stderr.write(`${err?.stack ?? err}\n`);
      process.exitCode = 1;
    },
  );
}

module.exports = { runMain };
