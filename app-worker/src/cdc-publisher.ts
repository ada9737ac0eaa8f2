/**
 * Publishing page-state changes (`wiki_pages` CDC) to the CDC topic, next to the main topic.
 *
 * Same guarantees as the main topic: each change is one message, published with the main
 * publisher's batching, retry and in-flight bounds; an event counts as handled (and the checkpoint
 * may pass it) only when its row on the main topic and every one of its page changes are
 * acknowledged. Keyed: the `event_id` attribute is the event's, and `change_id` is
 * `<event_id>/<index>` (a move gives two changes). A replay publishes the same changes with the
 * same sequence numbers again; the table applies the newest per key, so a replay changes nothing.
 */
import { PubSub } from "@google-cloud/pubsub";
import { derivePageChangesFromData, PageChange } from "./page-state";
import { BoundedPublisher, BoundedPublisherOptions, PublishError } from "./publisher";

export interface CdcPublisherStats {
  /** Events that implied at least one change. */
  events: number;
  /** Changes published and acknowledged, by type. */
  upserts: number;
  deletes: number;
  /** Events that should have changed page state but lacked a field (by reason). */
  skipped: Record<string, number>;
}

export interface CdcPublisherLogger {
  warn(obj: object, msg?: string): void;
}

/** Publishes the page changes of accepted events to `options.topic`. */
export class CdcPublisher {
  public readonly publisher: BoundedPublisher;
  public readonly stats: CdcPublisherStats = { events: 0, upserts: 0, deletes: 0, skipped: {} };
  private skippedSeen = 0;

  constructor(
    options: BoundedPublisherOptions & { readonly pubsub?: PubSub },
    private readonly logger?: CdcPublisherLogger,
  ) {
    this.publisher = new BoundedPublisher(options);
  }

  /**
   * Derives the page changes of one accepted event (its SSE `data`) and publishes them. Returns how
   * many publishes were started; `done` is called once per publish, with an error or the change.
   * A payload that changes no page returns 0; one that should but lacks a field is counted in
   * `stats.skipped`, logged (the first 5, then every 1000th) and returns 0.
   */
  publishChanges(data: string, eventId: string, done: (error: PublishError | undefined) => void): number {
    const result = derivePageChangesFromData(data);
    if (result.kind === "none") return 0;
    if (result.kind === "skipped") {
      this.stats.skipped[result.reason] = (this.stats.skipped[result.reason] ?? 0) + 1;
      this.skippedSeen++;
      if (this.skippedSeen <= 5 || this.skippedSeen % 1000 === 0) {
        this.logger?.warn(
          { reason: result.reason, eventId, skippedSoFar: this.skippedSeen },
          "event implies no page change: a field is missing",
        );
      }
      return 0;
    }
    this.stats.events++;
    result.changes.forEach((change, index) => this.send(change, eventId, index, done));
    return result.changes.length;
  }

  private send(
    change: PageChange,
    eventId: string,
    index: number,
    done: (error: PublishError | undefined) => void,
  ): void {
    const attributes = {
      event_id: eventId,
      change_id: `${eventId}/${index}`,
      change_type: change.changeType,
      sequence_number: change.sequenceNumber,
    };
    this.publisher.send(Buffer.from(change.json), attributes, (error) => {
      if (!error) {
        if (change.changeType === "UPSERT") this.stats.upserts++;
        else this.stats.deletes++;
      }
      done(error);
    });
  }
}
