import { ExitCode, StoError } from "../errors";
import type { TxEnvironment } from "./environment";

/**
 * Transactions of one account a node keeps for it without question: geth's `AccountSlots` (16
 * executable transactions per account; beyond them, a full pool evicts an account's newest ones
 * silently), also the per-account slots of Erigon (`--txpool.accountslots`) and reth
 * (`max_account_slots`), and what hosted providers built on them allow. The default on every
 * network but the local chain, whose pool has no per-account limit.
 */
export const DEFAULT_MAX_IN_FLIGHT = 16;

export interface InFlightOptions {
  /** At most this many sent and unmined transactions of the account; 0 or undefined: no limit. */
  maxInFlight?: number;
  /** Milliseconds between two looks at the account's mined nonce while waiting. */
  pollMs: number;
  /** Gives up (exit 3, nothing lost) when nothing of the account is mined for this long while waiting. */
  stallMs: number;
  /** Told when a wait starts: why, and how many are in flight against which limit. */
  onWait?: (wait: InFlightWait) => void;
}

export interface InFlightWait {
  reason: "limit" | "pool-full";
  inFlight: number;
  limit: number;
  /** The node's words, for a pool-full answer. */
  message?: string;
}

/**
 * Back-pressure on tx-broadcast: a transaction is handed to the node only while fewer than the
 * limit of the account's transactions are sent and unmined (nonce − the mined nonce), and a node
 * that answers "pool full" gets the same bytes again after the next block, with the limit lowered
 * to what it held then (raised again by one whenever a block mines some of ours, up to the given one). Nothing here signs or records anything: waiting is always safe.
 */
export class InFlightGate {
  private readonly configured: number;
  private limit: number;
  private mined: number;
  /** When the mined nonce last moved (or the gate was made). */
  private progressAt = Date.now();

  constructor(
    private readonly env: TxEnvironment,
    minedNonce: number,
    private readonly options: InFlightOptions,
  ) {
    this.configured = options.maxInFlight && options.maxInFlight > 0 ? options.maxInFlight : Number.POSITIVE_INFINITY;
    this.limit = this.configured;
    this.mined = minedNonce;
  }

  /** The limit now (lowered by pool-full answers). */
  get currentLimit(): number {
    return this.limit;
  }

  /** Whether the transaction of `nonce` may be sent now, by what is known (no look at the node). */
  allows(nonce: number): boolean {
    return nonce - this.mined < this.limit;
  }

  /** Waits until the transaction of `nonce` may be sent. */
  async admit(nonce: number): Promise<void> {
    if (this.allows(nonce)) return;
    await this.refreshMined();
    if (nonce - this.mined < this.limit) return;
    this.options.onWait?.({ reason: "limit", inFlight: nonce - this.mined, limit: this.limit });
    const since = Date.now();
    while (nonce - this.mined >= this.limit) {
      await sleep(this.options.pollMs);
      await this.refreshMined();
      this.checkStall(since, `${nonce - this.mined} of its transactions are sent and unmined (at most ${this.limit} at a time)`);
    }
  }

  /**
   * The node refused the transaction of `nonce` because its pool is full: the limit becomes what
   * the node held of ours (at least 1), and this waits for the next block (or, when none of ours is pending,
   * a while) before the same bytes are sent again. `since`: the first refusal of this transaction.
   */
  async poolFull(nonce: number, message: string, since: number): Promise<void> {
    await this.refreshMined();
    this.limit = Math.max(1, Math.min(this.limit, nonce - this.mined));
    this.options.onWait?.({ reason: "pool-full", inFlight: nonce - this.mined, limit: this.limit, message });
    this.checkStall(since, `the node keeps answering "${message.slice(0, 120)}"`);
    const head = await this.env.provider.getBlockNumber();
    const minedBefore = this.mined;
    const deadline = Date.now() + this.options.pollMs * 10;
    // Nothing of ours pending: the pool is full of others' transactions, and a block frees room
    // only maybe; the same bytes are offered again after a while.
    while (Date.now() < deadline) {
      await sleep(this.options.pollMs);
      if ((await this.env.provider.getBlockNumber()) !== head) break;
      if (nonce > minedBefore) {
        await this.refreshMined();
        if (this.mined !== minedBefore) break;
      }
    }
    await this.refreshMined();
  }

  /** The account's mined nonce as the node reports it now. */
  private async refreshMined(): Promise<void> {
    const mined = await this.env.provider.getTransactionCount(this.env.address, "latest");
    if (mined > this.mined) {
      this.mined = mined;
      this.progressAt = Date.now();
      // A full pool is often others' doing and passes: room is taken back one at a time as blocks mine ours.
      if (this.limit < this.configured) this.limit += 1;
    }
  }

  /** Throws when neither this wait started nor anything of ours was mined within stallMs. */
  private checkStall(since: number, what: string): void {
    if (Date.now() - Math.max(since, this.progressAt) < this.options.stallMs) return;
    throw new StoError(
      `no transaction of ${this.env.address} was mined for ${Math.round(this.options.stallMs / 1000)} s while ${what}; every signed transaction is recorded: run tx-broadcast again to send the rest (the same bytes)`,
      ExitCode.Network,
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
