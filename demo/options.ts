/**
 * Command-line options of `npm run demo`, typed. The option table itself is demo/options-table.js,
 * plain JavaScript that scripts/demo.sh runs before any install or build, so `--help` and argument
 * errors answer at once; this module gives its results their types.
 */
import type { DirectSink } from "../schemas/worker-contract";
import type { DemoMode } from "./ingestion-mode";

export interface DemoOptions {
  /** JSONL file of recentchange events to replay. */
  readonly fixture: string;
  /** Write only the result, as one JSON object, to stdout; the human report goes to stderr. */
  readonly json: boolean;
  /** Write a self-contained HTML report to this file (absolute path ending in .html), if given. */
  readonly report?: string;
  /** Replay the fixture locally, or read the live Wikimedia stream. */
  readonly source: "replay" | "wikimedia";
  /** How long to read the live stream (with --source wikimedia). */
  readonly durationSeconds: number;
  /** Fixed ports (0: a free one). */
  readonly pubsubPort: number;
  readonly bigqueryPort: number;
  readonly ssePort: number;
  /** How events reach wiki_changes: through Pub/Sub and the bridge, or written by the worker itself. */
  readonly mode: DemoMode;
  /** The BigQuery API the worker writes with in direct mode. */
  readonly sink: DirectSink;
}

interface OptionsTable {
  readonly DEFAULT_FIXTURE: string;
  readonly WIKIMEDIA_URL: string;
  readonly MODES: readonly string[];
  readonly SINKS: readonly string[];
  readonly UsageError: new (message: string) => Error;
  readonly USAGE: string;
  parseOptions(argv: readonly string[]): DemoOptions | "help";
  assertPortFree(portNumber: number, flag: string): Promise<void>;
  checkOptionsHere(options: DemoOptions): Promise<void>;
}

const table = require("./options-table.js") as OptionsTable;

export const DEFAULT_FIXTURE = table.DEFAULT_FIXTURE;
export const WIKIMEDIA_URL = table.WIKIMEDIA_URL;
/** The values `--mode` and `--sink` accept (the same lists as DEMO_MODES and DIRECT_SINKS; a test checks). */
export const OPTION_MODES = table.MODES;
export const OPTION_SINKS = table.SINKS;
export const USAGE = table.USAGE;

/** A refused command line: its message is for the user, without a stack trace. */
export const UsageError = table.UsageError;
export type UsageError = Error;

/** The options of `argv` (the arguments after `npm run demo --`), or "help"; throws a UsageError. */
export const parseOptions: (argv: readonly string[]) => DemoOptions | "help" = table.parseOptions;

/** Rejects with a UsageError when a fixed port is already taken on 127.0.0.1. */
export const assertPortFree: (portNumber: number, flag: string) => Promise<void> = table.assertPortFree;

/** Rejects with a UsageError when the fixture or the report's folder is missing, or a fixed port is taken. */
export const checkOptionsHere: (options: DemoOptions) => Promise<void> = table.checkOptionsHere;
