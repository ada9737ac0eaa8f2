export * from "./wiki-changes";
export * from "./wiki-staged";
export * from "./leaderboard";
export * from "./streaming-events";
export * from "./employees";
