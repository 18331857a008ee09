// What every script here shares with its pytest test (tests/frontdoors/): settings come
// from environment variables, results go to stdout as one JSON object per line, and
// "go" on stdin tells a script that the server is ready for its next step.
import { createInterface } from "node:readline";

export function setting(name) {
  const value = process.env[name];
  if (!value) fail(`missing environment variable ${name}`);
  return value;
}

export function emit(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

export function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const lines = createInterface({ input: process.stdin });
const waiting = [];
lines.on("line", (line) => waiting.shift()?.(line.trim()));

/** Resolves with the next line the test writes on stdin. */
export function nextLine() {
  return new Promise((resolve) => waiting.push(resolve));
}

/** `promise`, or a failure after `seconds` naming what was awaited. */
export function within(seconds, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs `main`, then exits: 0 when it returned, 1 (with the error on stderr) when it threw. */
export function run(main) {
  main().then(
    () => process.exit(0),
    (error) => fail(error?.stack ?? String(error)),
  );
}
