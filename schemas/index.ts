/**
 * The ground floor: table schemas and the worker's contract, shared by the worker, the
 * constructs, the stacks and the SQL checks. Imports nothing but itself.
 */
export * from "./table-schema";
export * from "./wiki-changes";
export * from "./wiki-staged";
export * from "./leaderboard";
export * from "./streaming-events";
export * from "./employees";
export * from "./worker-contract";
export * from "./naming";
export * from "./staging-watermark";
export * from "./cdc-sequence";
export * from "./wiki-pages";
export * from "./ingestion-errors";
export * from "./schema-evolution";
