/** Payload encryption: the AES-GCM codec and its keys, the data converter workers and
 * clients share, and the codec server the Temporal UI and CLI decode through. */
export * from './aes-gcm-codec.ts';
export * from './codec-keys.ts';
export * from './codec-server.ts';
export * from './data-converter.ts';
export { failureConverter } from './failure-converter.ts';
export * from './payload-json.ts';
