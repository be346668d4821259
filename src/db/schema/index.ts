export * from "./transactions";
