export * from "./transactions";
export * from "./scan";
