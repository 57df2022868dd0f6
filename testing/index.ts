/**
 * The testing kit: fake OpenAI / Anthropic servers driven by provider-neutral scripts. It is
 * public (outside `test/`) because more than the test suite stands on it: the `npm start`
 * demo replays a recorded conversation through it, the benchmarks drive it, and users can
 * test their own agents against it without a real provider.
 *
 * A request with `stream: true` is answered with server-sent events in the provider's own
 * format, at the pace a reply (or the server's `stream` option) sets, with scripted
 * mid-stream faults (`FakeStreamOptions`).
 *
 * @example
 * const fake = await startFakeOpenAI({ script: [{ kind: 'text', text: 'Hello' }] });
 * // point the worker's OPENAI_BASE_URL at fake.baseURL, run, then inspect fake.requests
 */
export type {
  FakeReply,
  FakeUsage,
  FakeStop,
  FakeToolCall,
  FakeTextReply,
  FakeToolCallsReply,
  FakeErrorReply,
  FakeRawReply,
  FakeStreamOptions,
  FakeStreamFault,
} from './script.ts';
export { usageOf } from './script.ts';
export type { FakeHandler, FakeProviderServer, FakeServerOptions, RecordedRequest } from './fake-server.ts';
export { requestedModel } from './fake-server.ts';
export { byModel } from './by-model.ts';
export { startFakeOpenAI } from './openai-fake.ts';
export { startFakeAnthropic } from './anthropic-fake.ts';
