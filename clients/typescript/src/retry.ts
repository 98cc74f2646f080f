/**
 * Waiting before a conflicting command is resent: exponential, capped, jittered, abortable.
 *
 * @module
 */

import { RequestAbortedError } from "./errors.js";

/** Milliseconds before resend number `retry` (from 1): half of `min(maxBackoff, backoff *
 * 2^(retry-1))`, plus a random part of the other half, so that concurrent writers spread out. */
export function backoffDelay(retry: number, backoff: number, maxBackoff: number): number {
  const step = Math.min(maxBackoff, backoff * 2 ** Math.min(retry - 1, 32));
  return step / 2 + Math.random() * (step / 2);
}

/** Wait `ms`, or until `signal` aborts: then reject with `RequestAbortedError`. */
export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new RequestAbortedError(`${what}: aborted by the caller`, { cause: signal?.reason });
    if (signal?.aborted) {
      reject(aborted());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
