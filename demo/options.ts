/** Command-line options of `npm run demo`. */
import * as net from "node:net";
import * as path from "node:path";
import { FIXTURE } from "../tools/fixtures/generate";
import { DIRECT_SINKS, DirectSink } from "../schemas/worker-contract";
import { DEMO_MODES, DemoMode } from "./ingestion-mode";

export const DEFAULT_FIXTURE = FIXTURE;
export const WIKIMEDIA_URL = "https://stream.wikimedia.org/v2/stream/recentchange";

export interface DemoOptions {
  /** JSONL file of recentchange events to replay. */
  readonly fixture: string;
  /** Print the result as one JSON object on the last line of stdout. */
  readonly json: boolean;
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

export class UsageError extends Error {}

export const USAGE = `usage: npm run demo -- [options]
  --fixture FILE        replay this JSONL file (one recentchange event's data JSON per line)
                        default: tools/fixtures/recentchange.jsonl.gz (gzipped files are read as such)
  --json                print the result as one JSON object on the last line of stdout
  --source wikimedia    read the live Wikimedia stream instead of a replay (needs internet)
  --duration SECONDS    how long to read the live stream (default 60)
  --mode pubsub|direct  pubsub (default): worker → Pub/Sub → local bridge → wiki_changes;
                        direct: the worker writes wiki_changes itself (no ingestion topic, no bridge)
  --sink storage-write|insert-all
                        the BigQuery API of direct mode (default storage-write)
  --pubsub-port N, --bigquery-port N, --sse-port N
                        fixed 127.0.0.1 ports instead of free ones
  --help                this text`;

function port(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`${flag} takes a port number from 1 to 65535, got "${value}"`);
  return n;
}

export function parseOptions(argv: readonly string[]): DemoOptions | "help" {
  const options = {
    fixture: DEFAULT_FIXTURE,
    json: false,
    source: "replay" as DemoOptions["source"],
    durationSeconds: 60,
    pubsubPort: 0,
    bigqueryPort: 0,
    ssePort: 0,
    mode: "pubsub" as DemoMode,
    sink: "storage-write" as DirectSink,
  };
  let sinkGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        return "help";
      case "--fixture":
        options.fixture = path.resolve(value());
        break;
      case "--json":
        options.json = true;
        break;
      case "--source": {
        const source = value();
        if (source !== "wikimedia" && source !== "replay")
          throw new UsageError(`--source takes "wikimedia" or "replay", got "${source}"`);
        options.source = source;
        break;
      }
      case "--duration": {
        const seconds = Number(value());
        if (!Number.isFinite(seconds) || seconds <= 0)
          throw new UsageError(`--duration takes a positive number of seconds`);
        options.durationSeconds = seconds;
        break;
      }
      case "--mode": {
        const mode = value();
        if (!(DEMO_MODES as readonly string[]).includes(mode))
          throw new UsageError(`--mode takes ${DEMO_MODES.map((m) => `"${m}"`).join(" or ")}, got "${mode}"`);
        options.mode = mode as DemoMode;
        break;
      }
      case "--sink": {
        const sink = value();
        if (!(DIRECT_SINKS as readonly string[]).includes(sink))
          throw new UsageError(`--sink takes ${DIRECT_SINKS.map((s) => `"${s}"`).join(" or ")}, got "${sink}"`);
        options.sink = sink as DirectSink;
        sinkGiven = true;
        break;
      }
      case "--pubsub-port":
        options.pubsubPort = port(flag, value());
        break;
      case "--bigquery-port":
        options.bigqueryPort = port(flag, value());
        break;
      case "--sse-port":
        options.ssePort = port(flag, value());
        break;
      default:
        throw new UsageError(`unknown option "${flag}"\n${USAGE}`);
    }
  }
  if (sinkGiven && options.mode !== "direct")
    throw new UsageError(`--sink applies to --mode direct only (in pubsub mode the bridge writes wiki_changes)`);
  return options;
}

/** Rejects with a clear message when a fixed port is already taken on 127.0.0.1. */
export function assertPortFree(portNumber: number, flag: string): Promise<void> {
  if (portNumber === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new UsageError(
          `port ${portNumber} (${flag}) is already in use on 127.0.0.1${error.code === "EADDRINUSE" ? "" : `: ${error.message}`}`,
        ),
      ),
    );
    server.listen(portNumber, "127.0.0.1", () => server.close(() => resolve()));
  });
}
