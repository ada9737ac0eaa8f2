/**
 * Publishing page-state changes (`wiki_pages` CDC) to the CDC topic, next to the main topic.
 *
 * Same guarantees as the main topic: each change is one message, published with the main
 * publisher's batching, retry and in-flight bounds; an event counts as handled (and the checkpoint
 * may pass it) only when its row on the main topic and every one of its page changes are
 * acknowledged or dead-lettered. Keyed: the `event_id` attribute is the event's, and `change_id` is
 * `<event_id>/<index>` (a move gives two changes). A replay publishes the same changes with the
 * same sequence numbers again; the table applies the newest per key, so a replay changes nothing.
 *
 * Every change of an event is checked against Pub/Sub's limits (`checkMessage`, as the main message is) before any
 * of them is published. One that Pub/Sub can never accept (too large, an attribute too large, refused as
 * INVALID_ARGUMENT when sent alone) is handed back as a dead-letter record (reason `page_change_<reason>`): the
 * worker writes it to its dead-letter sink and counts it; the event's row and its other changes go on as usual.
 * Only a publish that failed after its retries (the topic unreachable, permission denied) is an error: the worker
 * stops, as for the main topic, and a restart publishes the change again.
 */
import { PubSub } from "@google-cloud/pubsub";
import { ChangeType } from "../../schemas/cdc-sequence";
import { DeadLetterRecord } from "./checkpoint";
import { derivePageChangesFromData, PageChange } from "./page-state";
import { BoundedPublisher, BoundedPublisherOptions, checkMessage, PublishError } from "./publisher";
import { SinkOutcome } from "./sink";

export interface CdcPublisherStats {
  /** Events that implied at least one change. */
  events: number;
  /** Changes published and acknowledged, by type. */
  upserts: number;
  deletes: number;
  /** Events that should have changed page state but lacked a field (by reason). */
  skipped: Record<string, number>;
  /** Changes Pub/Sub can never accept, handed back to be dead-lettered (by reason: too_large, …). */
  deadLettered: Record<string, number>;
}

/** The event page changes come from. */
export interface PageChangeSource {
  /** The event's id: the `event_id` attribute, and `change_id` is `<eventId>/<index>`. */
  readonly eventId: string;
  /** Its SSE id (resuming with it as `Last-Event-ID` reads the stream right after the event). */
  readonly sseId?: string;
  readonly eventTime?: string;
}

/** A page change Pub/Sub can never accept, as the worker records it in its dead-letter sink. */
export interface PageChangeDeadLetter extends DeadLetterRecord {
  /** `page_change_too_large`, `page_change_attribute_too_large` or `page_change_invalid_argument`. */
  readonly reason: `page_change_${PageChangeRefusal}`;
  /** Its index among the event's changes (`change_id` is `<eventId>/<changeIndex>`). */
  readonly changeIndex: number;
  readonly changeType: ChangeType;
  readonly sequenceNumber: string;
}

/** Why Pub/Sub refused a page change for good (the `reason` label of the page-change dead-letter counter). */
export type PageChangeRefusal = Extract<SinkOutcome, { kind: "undeliverable" }>["reason"];

/** Called once per page change: an error (the worker stops), a record to dead-letter, or neither (acknowledged). */
export type PageChangeCallback = (error: PublishError | undefined, deadLetter?: PageChangeDeadLetter) => void;

export interface CdcPublisherLogger {
  warn(obj: object, msg?: string): void;
}

/** Publishes the page changes of accepted events to `options.topic`. */
export class CdcPublisher {
  public readonly publisher: BoundedPublisher;
  public readonly stats: CdcPublisherStats = { events: 0, upserts: 0, deletes: 0, skipped: {}, deadLettered: {} };
  private skippedSeen = 0;

  constructor(
    options: BoundedPublisherOptions & { readonly pubsub?: PubSub },
    private readonly logger?: CdcPublisherLogger,
  ) {
    this.publisher = new BoundedPublisher(options);
  }

  /**
   * Derives the page changes of one accepted event (its SSE `data`), checks every one against Pub/Sub's limits, then
   * publishes those that fit. Returns how many changes there are; `done` is called once per change, with an error,
   * a dead-letter record (a change refused before sending or answered INVALID_ARGUMENT), or neither (acknowledged),
   * and never before this returns.
   * A payload that changes no page returns 0; one that should but lacks a field is counted in `stats.skipped`,
   * logged (the first 5, then every 1000th) and returns 0.
   */
  publishChanges(data: string, source: PageChangeSource, done: PageChangeCallback): number {
    const result = derivePageChangesFromData(data);
    if (result.kind === "none") return 0;
    if (result.kind === "skipped") {
      this.stats.skipped[result.reason] = (this.stats.skipped[result.reason] ?? 0) + 1;
      this.skippedSeen++;
      if (this.skippedSeen <= 5 || this.skippedSeen % 1000 === 0) {
        this.logger?.warn(
          { reason: result.reason, eventId: source.eventId, skippedSoFar: this.skippedSeen },
          "event implies no page change: a field is missing",
        );
      }
      return 0;
    }
    this.stats.events++;
    // Every change is checked before any is sent: a refused one never holds back, nor follows, the others.
    const messages = result.changes.map((change, index) => message(change, source.eventId, index));
    const unfit = messages.map(({ data, attributes }) => checkMessage(data, attributes));
    result.changes.forEach((change, index) => {
      const refusal = unfit[index];
      if (refusal) {
        const outcome = { reason: refusal.reason, detail: refusal.message, bytes: messages[index].data.length };
        const record = this.refused(change, index, source, outcome);
        // Never before this returns: the caller adds the count first.
        queueMicrotask(() => done(undefined, record));
      } else this.send(change, index, messages[index], source, done);
    });
    return result.changes.length;
  }

  private send(
    change: PageChange,
    index: number,
    { data, attributes }: ReturnType<typeof message>,
    source: PageChangeSource,
    done: PageChangeCallback,
  ): void {
    this.publisher.deliver(data, attributes, (error, outcome) => {
      if (error) done(error as PublishError);
      else if (outcome?.kind === "undeliverable") done(undefined, this.refused(change, index, source, outcome));
      else {
        if (change.changeType === "UPSERT") this.stats.upserts++;
        else this.stats.deletes++;
        done(undefined);
      }
    });
  }

  /** The dead-letter record of a change Pub/Sub can never accept (counted in `stats.deadLettered`). */
  private refused(
    change: PageChange,
    index: number,
    source: PageChangeSource,
    outcome: { readonly reason: PageChangeRefusal; readonly detail: string; readonly bytes: number },
  ): PageChangeDeadLetter {
    this.stats.deadLettered[outcome.reason] = (this.stats.deadLettered[outcome.reason] ?? 0) + 1;
    return {
      reason: `page_change_${outcome.reason}`,
      sseId: source.sseId,
      eventId: source.eventId.slice(0, 256),
      eventTime: source.eventTime,
      bytes: outcome.bytes,
      detail: outcome.detail,
      sample: change.json.slice(0, 4096),
      changeIndex: index,
      changeType: change.changeType,
      sequenceNumber: change.sequenceNumber,
    };
  }
}

/** The message of one change: its JSON and its attributes. */
function message(change: PageChange, eventId: string, index: number) {
  const attributes = {
    event_id: eventId,
    change_id: `${eventId}/${index}`,
    change_type: change.changeType,
    sequence_number: change.sequenceNumber,
  };
  return { data: Buffer.from(change.json), attributes };
}
