import { afterAll } from "vitest";
import { cleanUpTestFile } from "./helpers/cleanup";

// Registered first, so it runs after every afterAll of the test file itself.
afterAll(cleanUpTestFile);
