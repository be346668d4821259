/** The tests' chain helper lives in src/devtools/ so that bench/ shares it without importing from test/. */
export * from "../../src/devtools/test-chain";
