/** Context assembly for model calls, worker side: real token counts per model family. The
 * packing itself is pure and lives in `core/context.ts`. */
export {
  tokenizerFor,
  encodingTokenizer,
  encodingForModel,
  encodingNames,
  APPROXIMATION_FACTOR,
  type Tokenizer,
  type EncodingName,
} from './tokenizer.ts';
export { assembleRequest, contextWindowOf, DEFAULT_CONTEXT_WINDOW, type AssembleOptions } from './assemble.ts';
export {
  createConversationCache,
  type ConversationCache,
  type ConversationCacheOptions,
  type ContextWork,
  type LoadedConversation,
} from './conversation-cache.ts';
