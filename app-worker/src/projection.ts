/**
 * Projection of one Wikimedia recentchange event onto the raw `wiki_changes` row.
 * Pure: no I/O. The keys of a projected row are exactly `WIKI_CHANGES_SCHEMA.fieldNames`,
 * in that order (checked when this module loads).
 */
import { createHash } from "node:crypto";
import { WIKI_CHANGES_SCHEMA } from "../../schemas/wiki-changes";

/** One row of the raw table, as published (JSON). */
export interface WikiChangeRow {
  event_id: string;
  id: number | null;
  type: string;
  wiki: string;
  user: string | null;
  title: string;
  bot: boolean | null;
  namespace: number | null;
  timestamp: string;
  event_time: string;
}

/** Outcome of projecting one SSE data payload. */
export type ProjectionResult =
  /** `json` is the message body, `JSON.stringify(row)`. */
  | { kind: "row"; row: WikiChangeRow; json: string }
  | { kind: "drop"; reason: "canary" }
  | { kind: "drop"; reason: "malformed"; detail: string };

type Event = Record<string, unknown>;
const isObject = (value: unknown): value is Event =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** How each column is derived; keyed by column name so a schema change fails loudly here. */
const COLUMNS: { [K in keyof WikiChangeRow]: true } = {
  event_id: true,
  id: true,
  type: true,
  wiki: true,
  user: true,
  title: true,
  bot: true,
  namespace: true,
  timestamp: true,
  event_time: true,
};
const projected = Object.keys(COLUMNS);
const schema = WIKI_CHANGES_SCHEMA.fieldNames;
if (projected.length !== schema.length || projected.some((name, i) => schema[i] !== name)) {
  throw new Error(
    `projection columns [${projected.join(", ")}] differ from WIKI_CHANGES_SCHEMA [${schema.join(", ")}]: update app-worker/src/projection.ts`,
  );
}

/** A stable event id for events without `meta.id`: SHA-256 of the fields that identify a change. */
export function stableEventId(event: Event): string {
  const meta = isObject(event.meta) ? event.meta : {};
  const key = [
    meta.domain,
    event.wiki,
    event.id,
    event.type,
    event.timestamp,
    event.title,
    event.user,
    meta.dt,
    isObject(event.revision) ? event.revision.new : undefined,
    event.log_id,
  ]
    .map((part) => (part === undefined || part === null ? "" : String(part)))
    .join("\u001f");
  const hex = createHash("sha256").update(key).digest("hex");
  // Shaped like a UUID so consumers can treat every event_id alike.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Projects an already parsed event. */
export function projectEvent(event: unknown): ProjectionResult {
  if (!isObject(event)) return { kind: "drop", reason: "malformed", detail: "data is not a JSON object" };
  const meta = event.meta;
  if (!isObject(meta)) return { kind: "drop", reason: "malformed", detail: "meta is missing" };
  if (meta.domain === "canary") return { kind: "drop", reason: "canary" };

  // Written without per-call closures: this runs for every event.
  let problems: string[] | undefined;
  const problem = (text: string) => (problems ??= []).push(text);
  const dt = meta.dt;
  let eventTime = NaN;
  if (typeof dt === "string" && dt.length > 0) {
    eventTime = Date.parse(dt);
    if (Number.isNaN(eventTime)) problem("meta.dt is not a timestamp");
  } else problem(dt === undefined || dt === null ? "meta.dt is missing" : "meta.dt is not a string");
  const type = requiredText(event.type, "type", problem);
  const wiki = requiredText(event.wiki, "wiki", problem);
  const title = requiredText(event.title, "title", problem);
  let user: string | null = null;
  if (typeof event.user === "string") user = event.user.length > 0 ? event.user : null;
  else if (event.user !== undefined && event.user !== null) problem("user is not a string");
  const id = optionalInteger(event.id, "id", problem);
  const namespace = optionalInteger(event.namespace, "namespace", problem);
  let bot: boolean | null = null;
  if (typeof event.bot === "boolean") bot = event.bot;
  else if (event.bot !== undefined && event.bot !== null) problem("bot is not a boolean");
  const seconds = event.timestamp;
  let timestamp: string | null = null;
  if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 && seconds < 1e11) {
    timestamp = isoFromSeconds(seconds);
  } else problem(seconds === undefined ? "timestamp is missing" : "timestamp is not Unix seconds");
  const metaId = meta.id;
  if (metaId !== undefined && metaId !== null && (typeof metaId !== "string" || metaId.length === 0))
    problem("meta.id is not a string");

  if (problems) return { kind: "drop", reason: "malformed", detail: problems.join("; ") };
  const row: WikiChangeRow = {
    event_id: typeof metaId === "string" ? metaId : stableEventId(event),
    id,
    type: type!,
    wiki: wiki!,
    user,
    title: title!,
    bot,
    namespace,
    timestamp: timestamp!,
    // Already canonical (what Wikimedia sends) is kept as is; anything else is normalised.
    event_time: CANONICAL_UTC.test(dt as string) ? (dt as string) : new Date(eventTime).toISOString(),
  };
  return { kind: "row", row, json: JSON.stringify(row) };
}

/** Unix seconds → ISO string, remembering the last one: consecutive events mostly share their second. */
let lastSeconds = NaN;
let lastIso = "";
function isoFromSeconds(seconds: number): string {
  if (seconds !== lastSeconds) {
    lastIso = new Date(seconds * 1000).toISOString();
    lastSeconds = seconds;
  }
  return lastIso;
}

const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function requiredText(value: unknown, name: string, problem: (text: string) => void): string | null {
  if (typeof value === "string" && value.length > 0) return value;
  problem(value === undefined || value === null ? `${name} is missing` : `${name} is not a string`);
  return null;
}

function optionalInteger(value: unknown, name: string, problem: (text: string) => void): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  problem(`${name} is not an integer`);
  return null;
}

/** Parses one SSE `data` payload and projects it; never throws. */
export function projectData(data: string): ProjectionResult {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch (error) {
    return { kind: "drop", reason: "malformed", detail: `not valid JSON: ${(error as Error).message}` };
  }
  return projectEvent(event);
}
