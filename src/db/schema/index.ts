export * from "./transactions";
export * from "./scan";
export * from "./distribution";
export * from "./payouts";
