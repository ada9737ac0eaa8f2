/**
 * Page state from the recentchange stream: which changes of the `wiki_pages` CDC table one event
 * implies. Pure: no I/O, no memory of earlier events (so a restart or a replay derives exactly the
 * same changes, with the same sequence numbers).
 *
 * | event                                              | changes                                             |
 * | -------------------------------------------------- | --------------------------------------------------- |
 * | `type: "edit"` or `"new"`                          | UPSERT of the page: revision, length, editor, time, bot |
 * | `type: "log"`, `log_type: "delete"`, action `delete`, `delete_redir`, `delete_redir2` | DELETE of the page |
 * | `type: "log"`, `log_type: "delete"`, action `restore` | UPSERT of the page (revision and length unknown)   |
 * | `type: "log"`, `log_type: "move"`, action `move`, `move_redir` | DELETE of `title`, UPSERT of `log_params.target` |
 * | anything else (categorize, external, other logs, canaries) | none                                        |
 *
 * The sequence number ({@link pageSequenceNumber}, `eventSequenceNumber` in schemas/cdc-sequence.ts)
 * follows the order in which the wiki committed the changes: the second of `meta.dt` (clamped to the
 * time of receipt; written as that second's last millisecond) / the recentchange `id` (increasing per
 * wiki) / `meta.offset`, three sections of 16 upper-case hexadecimal digits. An event delivered again
 * (an SSE resume, an upstream duplicate, a worker restart before its checkpoint) carries the same
 * values and so the same number, unless its `meta.dt` was in the future (then the later receipt
 * time): it can never win over a change derived from a newer event.
 */
import {
  CHANGE_SEQUENCE_NUMBER_COLUMN,
  CHANGE_TYPE_COLUMN,
  ChangeType,
  eventSequenceNumber,
} from "../../schemas/cdc-sequence";
import { WIKI_PAGES_CDC_MESSAGE_FIELDS } from "../../schemas/wiki-pages";

/** One row of `wiki_pages`, as published (JSON). */
export interface WikiPageRow {
  wiki: string;
  namespace: number;
  title: string;
  revision_id: number | null;
  length: number | null;
  last_editor: string | null;
  last_edit_time: string | null;
  bot: boolean | null;
  last_change: string | null;
  event_id: string | null;
}

/** One CDC message: a `wiki_pages` row plus the two pseudo-columns. */
export interface PageChangeMessage extends WikiPageRow {
  _CHANGE_TYPE: ChangeType;
  _CHANGE_SEQUENCE_NUMBER: string;
}

/** A change derived from an event. */
export interface PageChange {
  readonly changeType: ChangeType;
  readonly sequenceNumber: string;
  /** `wiki`, `namespace`, `title` joined by U+001F: the primary key as one string. */
  readonly key: string;
  readonly message: PageChangeMessage;
  /** `JSON.stringify(message)`. */
  readonly json: string;
}

/** Outcome of deriving the page changes of one event. */
export type PageStateResult =
  | { kind: "changes"; changes: PageChange[] }
  /** The event changes no page state (categorize, patrol, …). */
  | { kind: "none" }
  /** The event should change page state but lacks what that needs (counted and logged, never silent). */
  | { kind: "skipped"; reason: string };

const MESSAGE_KEYS: { [K in keyof PageChangeMessage]: true } = {
  wiki: true,
  namespace: true,
  title: true,
  revision_id: true,
  length: true,
  last_editor: true,
  last_edit_time: true,
  bot: true,
  last_change: true,
  event_id: true,
  _CHANGE_TYPE: true,
  _CHANGE_SEQUENCE_NUMBER: true,
};
const keys = Object.keys(MESSAGE_KEYS);
if (
  keys.length !== WIKI_PAGES_CDC_MESSAGE_FIELDS.length ||
  keys.some((k, i) => WIKI_PAGES_CDC_MESSAGE_FIELDS[i] !== k)
) {
  throw new Error(
    `page-state message keys [${keys.join(", ")}] differ from WIKI_PAGES_CDC_MESSAGE_FIELDS [${WIKI_PAGES_CDC_MESSAGE_FIELDS.join(", ")}]: update app-worker/src/page-state.ts`,
  );
}

type Event = Record<string, unknown>;
const isObject = (value: unknown): value is Event =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const nonNegativeInteger = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

/** Canonical (English) namespace names, for the target of a move into another namespace. */
const CANONICAL_NAMESPACES: Record<string, number> = {
  media: -2,
  special: -1,
  talk: 1,
  user: 2,
  "user talk": 3,
  project: 4,
  "project talk": 5,
  file: 6,
  image: 6,
  "file talk": 7,
  "image talk": 7,
  mediawiki: 8,
  "mediawiki talk": 9,
  template: 10,
  "template talk": 11,
  help: 12,
  "help talk": 13,
  category: 14,
  "category talk": 15,
};

/**
 * The namespace of a move's target title. recentchange gives the target as a prefixed title only,
 * and namespace prefixes are localised, so: the source's namespace when the target has the
 * source's prefix; a canonical English prefix's namespace; otherwise the main namespace (0), where
 * titles may contain colons. A move into a namespace with a localised name other than the source's
 * is therefore keyed under namespace 0 — a documented limitation.
 */
export function targetNamespace(sourceTitle: string, sourceNamespace: number, target: string): number {
  const sourcePrefix = sourceNamespace !== 0 && sourceTitle.includes(":") ? sourceTitle.split(":")[0] : undefined;
  if (sourcePrefix !== undefined && target.startsWith(`${sourcePrefix}:`)) return sourceNamespace;
  const colon = target.indexOf(":");
  if (colon > 0) {
    const canonical = CANONICAL_NAMESPACES[target.slice(0, colon).replace(/_/g, " ").toLowerCase()];
    if (canonical !== undefined) return canonical;
  }
  return 0;
}

/**
 * The sequence number of every change derived from `event`, received at `receivedAtMs`:
 * second of `meta.dt` (clamped to `receivedAtMs`) as its last ms / recentchange `id` / `meta.offset`,
 * each 16 hexadecimal digits; a missing id or offset counts as 0 (`eventSequenceNumber`).
 * Undefined when `meta.dt` is not a time at or after 1970.
 */
export function pageSequenceNumber(event: unknown, receivedAtMs: number = Date.now()): string | undefined {
  if (!isObject(event) || !isObject(event.meta)) return undefined;
  const dt = typeof event.meta.dt === "string" ? Date.parse(event.meta.dt) : NaN;
  if (!Number.isSafeInteger(dt) || dt < 0) return undefined;
  return eventSequenceNumber({
    eventTimeMs: dt,
    receivedAtMs,
    commitId: nonNegativeInteger(event.id),
    offset: nonNegativeInteger(event.meta.offset),
  });
}

const DELETE_ACTIONS = new Set(["delete", "delete_redir", "delete_redir2"]);
const MOVE_ACTIONS = new Set(["move", "move_redir"]);

/**
 * The page changes `event` implies (see the module comment). The caller has already accepted the
 * event for the main topic (not a canary, not malformed); this never throws.
 */
export function derivePageChanges(event: unknown, receivedAtMs: number = Date.now()): PageStateResult {
  if (!isObject(event) || !isObject(event.meta)) return { kind: "skipped", reason: "not an event object" };
  if (event.meta.domain === "canary") return { kind: "none" };
  const type = event.type;
  const isEdit = type === "edit" || type === "new";
  const logType = event.log_type;
  const logAction = event.log_action;
  const isDelete = type === "log" && logType === "delete" && DELETE_ACTIONS.has(logAction as string);
  const isRestore = type === "log" && logType === "delete" && logAction === "restore";
  const isMove = type === "log" && logType === "move" && MOVE_ACTIONS.has(logAction as string);
  if (!isEdit && !isDelete && !isRestore && !isMove) return { kind: "none" };

  const wiki = event.wiki;
  const title = event.title;
  const namespace = event.namespace;
  if (typeof wiki !== "string" || wiki.length === 0) return { kind: "skipped", reason: "wiki is missing" };
  if (typeof title !== "string" || title.length === 0) return { kind: "skipped", reason: "title is missing" };
  if (typeof namespace !== "number" || !Number.isSafeInteger(namespace))
    return { kind: "skipped", reason: "namespace is missing" };
  const sequenceNumber = pageSequenceNumber(event, receivedAtMs);
  if (sequenceNumber === undefined) return { kind: "skipped", reason: "meta.dt is not a time" };

  const user = typeof event.user === "string" && event.user.length > 0 ? event.user : null;
  const seconds = event.timestamp;
  const time =
    typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 && seconds < 1e11
      ? new Date(seconds * 1000).toISOString()
      : null;
  const eventId = typeof event.meta.id === "string" && event.meta.id.length > 0 ? event.meta.id : null;
  const upsert = (ns: number, pageTitle: string, fields: Partial<WikiPageRow>): PageChange =>
    change("UPSERT", sequenceNumber, {
      wiki,
      namespace: ns,
      title: pageTitle,
      revision_id: null,
      length: null,
      last_editor: user,
      last_edit_time: time,
      bot: null,
      last_change: null,
      event_id: eventId,
      ...fields,
    });
  const remove = (ns: number, pageTitle: string): PageChange =>
    change("DELETE", sequenceNumber, {
      wiki,
      namespace: ns,
      title: pageTitle,
      revision_id: null,
      length: null,
      last_editor: null,
      last_edit_time: null,
      bot: null,
      last_change: null,
      event_id: eventId,
    });

  if (isEdit) {
    const revision = isObject(event.revision) ? nonNegativeInteger(event.revision.new) : undefined;
    const length = isObject(event.length) ? nonNegativeInteger(event.length.new) : undefined;
    return {
      kind: "changes",
      changes: [
        upsert(namespace, title, {
          revision_id: revision ?? null,
          length: length ?? null,
          bot: typeof event.bot === "boolean" ? event.bot : null,
          last_change: type as string,
        }),
      ],
    };
  }
  if (isDelete) return { kind: "changes", changes: [remove(namespace, title)] };
  if (isRestore) return { kind: "changes", changes: [upsert(namespace, title, { last_change: "restore" })] };

  const params = event.log_params;
  const target = isObject(params) && typeof params.target === "string" ? params.target.trim() : "";
  if (target.length === 0) return { kind: "skipped", reason: "move without log_params.target" };
  const targetNs = targetNamespace(title, namespace, target);
  if (targetNs === namespace && target === title) return { kind: "none" };
  return {
    kind: "changes",
    changes: [remove(namespace, title), upsert(targetNs, target, { last_change: "move" })],
  };
}

/** Parses one SSE `data` payload, received at `receivedAtMs`, and derives its page changes; never throws. */
export function derivePageChangesFromData(data: string, receivedAtMs: number = Date.now()): PageStateResult {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return { kind: "skipped", reason: "not valid JSON" };
  }
  return derivePageChanges(event, receivedAtMs);
}

/** The primary key of a row as one string. */
export function pageKey(row: Pick<WikiPageRow, "wiki" | "namespace" | "title">): string {
  return `${row.wiki}\u001f${row.namespace}\u001f${row.title}`;
}

function change(changeType: ChangeType, sequenceNumber: string, row: WikiPageRow): PageChange {
  const message: PageChangeMessage = {
    ...row,
    [CHANGE_TYPE_COLUMN]: changeType,
    [CHANGE_SEQUENCE_NUMBER_COLUMN]: sequenceNumber,
  } as PageChangeMessage;
  return { changeType, sequenceNumber, key: pageKey(row), message, json: JSON.stringify(message) };
}
