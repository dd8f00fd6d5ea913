import type { Document } from 'bson';

/** The server error codes we answer with, named as MongoDB names them (error_codes.yml). */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  ProtocolError: 17,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  MaxTimeMSExpired: 50,
  InvalidIdField: 53,
  EmptyFieldName: 56,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CommandNotSupported: 115,
  DocumentValidationFailure: 121,
  OperationNotSupportedInTransaction: 263,
  Location40324: 40324,
  Location40414: 40414,
  Location40573: 40573,
  Location40601: 40601,
  Location16990: 16990,
  Location17152: 17152,
  DuplicateKey: 11000,
  BSONObjectTooLarge: 10334,
  Location16755: 16755,
  NotImplemented: 238,
  MechanismUnavailable: 334,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

/**
 * A failed command in MongoDB's own shape (`{ ok: 0, errmsg, code, codeName }`), so drivers raise a
 * MongoServerError with the same code a real server would give.
 */
export class MongoCommandError extends Error {
  override name = 'MongoCommandError';
  readonly code: number;

  constructor(
    readonly codeName: ErrorCodeName,
    message: string,
    /** Extra fields the driver reads, e.g. keyPattern/keyValue on duplicate keys. */
    readonly extra: Document = {},
  ) {
    super(message);
    this.code = ErrorCodes[codeName];
  }

  toReply(): Document {
    // Location codes (numeric names) have no codeName in MongoDB's replies either.
    const codeName = this.codeName.startsWith('Location') ? undefined : this.codeName;
    return { ok: 0, errmsg: this.message, code: this.code, codeName, ...this.extra };
  }

  /** The entry for a `writeErrors` array. */
  toWriteError(index: number): Document {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}
