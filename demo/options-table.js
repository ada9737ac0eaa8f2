// The command-line options of `npm run demo`, defined once: plain JavaScript with no dependency
// beyond Node.js itself, so that scripts/demo.sh can answer `--help` and refuse a bad argument
// before node_modules or the BigQuery emulator exist:
//
//   node demo/options-table.js ARGS...   exit 0: the arguments are good; 3: usage printed; 2: refused
//
// demo/options.ts gives the parsed options their TypeScript type; demo/main.ts parses through it.
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");

const DEFAULT_FIXTURE = path.join(__dirname, "..", "tools", "fixtures", "recentchange.jsonl.gz");
const WIKIMEDIA_URL = "https://stream.wikimedia.org/v2/stream/recentchange";
/** How events reach wiki_changes (the modes of demo/ingestion-mode.ts). */
const MODES = ["pubsub", "direct"];
/** The BigQuery APIs of direct mode (schemas/worker-contract.ts DIRECT_SINKS). */
const SINKS = ["storage-write", "insert-all"];
/** Exit code of the command line when it printed the usage: the caller stops, successfully. */
const HELP_EXIT = 3;

class UsageError extends Error {}

const quoted = (values) => values.map((v) => `"${v}"`).join(" or ");

function port(flag, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`${flag} takes a port number from 1 to 65535, got "${value}"`);
  return n;
}

function oneOf(flag, value, values) {
  if (!values.includes(value)) throw new UsageError(`${flag} takes ${quoted(values)}, got "${value}"`);
  return value;
}

/**
 * The option table: each flag, the name of its value (none for a switch), its help lines, and how it
 * sets the options.
 */
const OPTIONS = [
  {
    flag: "--fixture",
    value: "FILE",
    help: [
      "replay this JSONL file (one recentchange event's data JSON per line)",
      "default: tools/fixtures/recentchange.jsonl.gz (gzipped files are read as such)",
    ],
    set: (o, v) => (o.fixture = path.resolve(v)),
  },
  {
    flag: "--json",
    help: ["write only the result, as one JSON object, to stdout (the human report goes to stderr)"],
    set: (o) => (o.json = true),
  },
  {
    flag: "--report",
    value: "FILE",
    help: ["also write a self-contained HTML report to FILE (a name ending in .html)"],
    set: (o, v) => {
      if (!/\.html$/i.test(v)) throw new UsageError(`--report takes a file name ending in .html, got "${v}"`);
      o.report = path.resolve(v);
    },
  },
  {
    flag: "--source",
    value: "wikimedia",
    help: ["read the live Wikimedia stream instead of a replay (needs internet)"],
    set: (o, v) => (o.source = oneOf("--source", v, ["wikimedia", "replay"])),
  },
  {
    flag: "--duration",
    value: "SECONDS",
    help: ["how long to read the live stream (with --source wikimedia only; default 60)"],
    set: (o, v) => {
      const seconds = Number(v);
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new UsageError(`--duration takes a positive number of seconds, got "${v}"`);
      o.durationSeconds = seconds;
    },
  },
  {
    flag: "--mode",
    value: MODES.join("|"),
    help: [
      "pubsub (default): worker → Pub/Sub → local bridge → wiki_changes;",
      "direct: the worker writes wiki_changes itself (no ingestion topic, no bridge)",
    ],
    set: (o, v) => (o.mode = oneOf("--mode", v, MODES)),
  },
  {
    flag: "--sink",
    value: SINKS.join("|"),
    help: ["the BigQuery API of direct mode (default storage-write)"],
    set: (o, v) => (o.sink = oneOf("--sink", v, SINKS)),
  },
  {
    flag: "--pubsub-port",
    value: "N",
    help: ["fixed 127.0.0.1 port of the Pub/Sub emulator"],
    set: portOf("pubsubPort"),
  },
  {
    flag: "--bigquery-port",
    value: "N",
    help: ["fixed 127.0.0.1 port of the BigQuery emulator"],
    set: portOf("bigqueryPort"),
  },
  { flag: "--sse-port", value: "N", help: ["fixed 127.0.0.1 port of the replay's SSE server"], set: portOf("ssePort") },
  { flag: "--help", help: ["this text"], set: () => undefined },
];

function portOf(key) {
  return (o, v, flag) => (o[key] = port(flag, v));
}

function usage() {
  const lines = ["usage: npm run demo -- [options]"];
  for (const option of OPTIONS) {
    const head = `  ${option.flag}${option.value ? ` ${option.value}` : ""}`;
    const [first, ...rest] = option.help;
    if (head.length < 24) lines.push(`${head.padEnd(24)}${first}`);
    else lines.push(head, `${"".padEnd(24)}${first}`);
    for (const line of rest) lines.push(`${"".padEnd(24)}${line}`);
  }
  return lines.join("\n");
}

const USAGE = usage();

/** Rules between options, checked once every option is read. */
function checkCombinations(options, given) {
  if (given.has("--sink") && options.mode !== "direct")
    throw new UsageError(`--sink applies to --mode direct only (in pubsub mode the bridge writes wiki_changes)`);
  if (given.has("--duration") && options.source !== "wikimedia")
    throw new UsageError(
      `--duration applies to --source wikimedia only (a replay runs until every event of the fixture is handled)`,
    );
}

/** The options of `argv` (the arguments after `npm run demo --`), or "help"; throws a UsageError. */
function parseOptions(argv) {
  const options = {
    fixture: DEFAULT_FIXTURE,
    json: false,
    source: "replay",
    durationSeconds: 60,
    pubsubPort: 0,
    bigqueryPort: 0,
    ssePort: 0,
    mode: "pubsub",
    sink: "storage-write",
  };
  const given = new Set();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") return "help";
    const option = OPTIONS.find((o) => o.flag === flag);
    if (!option) throw new UsageError(`unknown option "${flag}"\n${USAGE}`);
    let value;
    if (option.value) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
    }
    option.set(options, value, flag);
    given.add(flag);
  }
  checkCombinations(options, given);
  return options;
}

/** Rejects with a clear message when a fixed port is already taken on 127.0.0.1. */
function assertPortFree(portNumber, flag) {
  if (portNumber === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (error) =>
      reject(
        new UsageError(
          `port ${portNumber} (${flag}) is already in use on 127.0.0.1${error.code === "EADDRINUSE" ? "" : `: ${error.message}`}`,
        ),
      ),
    );
    server.listen(portNumber, "127.0.0.1", () => server.close(() => resolve()));
  });
}

/** What the options name on this machine: the fixture file, the report's folder, the fixed ports. */
async function checkOptionsHere(options) {
  if (options.source === "replay" && !fs.statSync(options.fixture, { throwIfNoEntry: false })?.isFile())
    throw new UsageError(`--fixture: no such file ${options.fixture}`);
  if (options.report && !fs.statSync(path.dirname(options.report), { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--report: no such folder ${path.dirname(options.report)}`);
  await assertPortFree(options.pubsubPort, "--pubsub-port");
  await assertPortFree(options.bigqueryPort, "--bigquery-port");
  await assertPortFree(options.ssePort, "--sse-port");
}

/** The command line: exit 0 when `argv` is good here, HELP_EXIT after printing the usage, 2 when refused. */
async function main(argv) {
  try {
    const options = parseOptions(argv);
    if (options === "help") {
      process.stdout.write(`${USAGE}\n`);
      return HELP_EXIT;
    }
    await checkOptionsHere(options);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`demo: ${error.message}\n`);
    return 2;
  }
}

module.exports = {
  DEFAULT_FIXTURE,
  WIKIMEDIA_URL,
  MODES,
  SINKS,
  HELP_EXIT,
  UsageError,
  USAGE,
  parseOptions,
  assertPortFree,
  checkOptionsHere,
};

if (require.main === module) main(process.argv.slice(2)).then((code) => process.exit(code));
