/**
 * The failure converter encrypted workers and clients load (by path, as Temporal requires;
 * a worker that bundles its own workflows puts it in the workflow sandbox too, so this file
 * imports nothing but `@temporalio/common`).
 *
 * It is Temporal's default converter, told to move each failure's message and stack trace
 * into its `encodedAttributes` payload, which the payload codec then encrypts. Without it a
 * failure message — which can quote a tool's input or a provider's reply — would sit in
 * history as plain text beside the encrypted payloads; with it history shows "Encoded
 * failure" and the codec (or the codec server) gives the real message back.
 *
 * One exception: a payload that cannot be decrypted fails the workflow task with a
 * `PayloadDecryptionError`, whose message names a key id and nothing else. It stays plain,
 * so an operator sees why the run is stuck (unknown key, tampered payload) without the
 * codec — which is exactly what cannot read it.
 */
import {
  DefaultFailureConverter,
  type FailureConverter,
  type PayloadConverter,
  type ProtoFailure,
  type SerializationContext,
} from '@temporalio/common';

const encoding = new DefaultFailureConverter({ encodeCommonAttributes: true });
const plain = new DefaultFailureConverter();

const isDecryptionError = (err: unknown) => err instanceof Error && err.name === 'PayloadDecryptionError';

export const failureConverter: FailureConverter = {
  errorToFailure: (err: unknown, payloadConverter: PayloadConverter, context?: SerializationContext): ProtoFailure =>
    (isDecryptionError(err) ? plain : encoding).errorToFailure(err, payloadConverter, context),
  failureToError: (failure: ProtoFailure, payloadConverter: PayloadConverter, context?: SerializationContext): Error =>
    encoding.failureToError(failure, payloadConverter, context),
};
