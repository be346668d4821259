import { startAnvil as startDevAnvil, type Anvil, type AnvilOptions } from "../../src/devtools/foundry";
import { killAfterFile } from "./cleanup";

/** Foundry's anvil and cast live in src/devtools/ so that bench/ shares them without importing from test/. */
export { cast, foundryBinary, type Anvil, type AnvilOptions } from "../../src/devtools/foundry";

/** anvil on a free loopback port; killed when the test file ends if the test did not close it. */
export function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  return startDevAnvil({ ...options, onSpawn: (child) => killAfterFile(child) });
}
