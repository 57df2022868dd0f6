/** The testing kit: fake OpenAI / Anthropic servers driven by provider-neutral scripts. */
export type { FakeReply, FakeUsage, FakeTextReply, FakeToolCallsReply, FakeErrorReply } from './script.ts';
export { usageOf } from './script.ts';
export type { FakeHandler, FakeProviderServer, FakeServerOptions, RecordedRequest } from './fake-server.ts';
export { startFakeOpenAI } from './openai-fake.ts';
export { startFakeAnthropic } from './anthropic-fake.ts';
export { refundDemoScript } from './demo-script.ts';
