import type { ModelDelta, ModelRequest, ModelResponse, ProviderId } from '../../core/model.ts';

import type { HeaderSource } from './retry-after.ts';

/** Per-call options. `signal` is the activity's cancellation signal; `timeoutMs` bounds one
 * HTTP attempt (the SDK's own timeout; a streamed attempt, the whole stream). `onHeaders` is given the provider's response headers
 * (of a success or an error), so the worker can pace calls by the provider's rate-limit
 * headers; `callProvider` calls it for adapters built on it. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  onHeaders?: (headers: HeaderSource) => void;
  /** Given each piece of the answer as the provider streams it (see `ModelDelta`); an
   * adapter that does not stream never calls it. The built-in adapters stream only when it
   * is set (and make one plain request otherwise). It must not throw or block: the caller
   * buffers and publishes. */
  onDelta?: (delta: ModelDelta) => void;
}

/**
 * One provider behind the canonical model contract. `call` translates the request to the
 * provider's wire format, makes exactly one attempt (Temporal is the only retry loop), and
 * returns the canonical response. It throws an `ApplicationFailure` typed by
 * `toProviderFailure`, or, when `opts.signal` fired, the signal's reason (Temporal's
 * `CancelledFailure`) so the activity completes as cancelled.
 */
export interface ModelAdapter {
  readonly provider: ProviderId;
  call(req: ModelRequest, opts: CallOptions): Promise<ModelResponse>;
}
