import mongoose from 'mongoose';

const { mongo } = mongoose;

/**
 * True when `error` (or an error it wraps) says the database cannot be reached right now: no server
 * to select, a dropped connection, a command that timed out on the network, or mongoose giving up on
 * a command it buffered while disconnected. Such a request can succeed when retried shortly, so it
 * is answered 503 (Twilio and the Direct Line client retry), never 500.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    if (
      current instanceof mongo.MongoNetworkError ||
      current instanceof mongo.MongoServerSelectionError ||
      current instanceof mongo.MongoNotConnectedError ||
      current instanceof mongo.MongoTopologyClosedError ||
      current instanceof mongoose.Error.MongooseServerSelectionError
    )
      return true;
    // mongoose's "Operation `x.y()` buffering timed out after 10000ms" has no class of its own.
    if (current instanceof mongoose.Error && /buffering timed out/.test(current.message)) return true;
    // A bulk write (insertMany) that failed on the network keeps the driver's error as errorResponse;
    // botbuilder-dialogs wraps a dialog's error in a DialogContextError that keeps it as `error`.
    const wrapper = current as { cause?: unknown; error?: unknown; errorResponse?: unknown };
    current =
      wrapper.cause ??
      (wrapper.error instanceof Error ? wrapper.error : undefined) ??
      (wrapper.errorResponse instanceof Error ? wrapper.errorResponse : undefined);
  }
  return false;
}
