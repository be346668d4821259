/**
 * The local chain in a process of its own, so that a benchmark measures sto and not the EVM
 * sharing its thread (as with a real node). Prints its URL, then serves until killed.
 */
import { startLocalChain } from "../src/chain/local-node";

startLocalChain({ port: 0, accounts: 2 })
  .then((chain) => process.stdout.write(`${chain.url}\n`))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
