/**
 * Why the HTTP layer itself refused a request, before or around any use case: the request was
 * malformed, carried no usable credential, or came from another site. Mapped to a status in
 * `error-handler.ts` beside the core's codes.
 */
export type HttpErrorCode =
  /** A field or parameter is missing, repeated or malformed (the message says which). */
  | 'invalid_request'
  /** The body is declared in a charset other than UTF-8. */
  | 'unsupported_charset'
  /** A route that reads only JSON got another content type. */
  | 'unsupported_media_type'
  /** The `Authorization: Bearer` header holds no well-formed access token, or one that does not check. */
  | 'invalid_token'
  /** The request carries no session cookie of a live session. */
  | 'no_session'
  /** A token request named a grant type Sesame does not offer. */
  | 'unsupported_grant_type'
  /** A browser sent the request on behalf of another site (CSRF). */
  | 'cross_site'
  /** The server is closing: the request should go to another instance, or come back after the restart. */
  | 'shutting_down';

/** A request the HTTP layer refuses, with a stable code and a message safe to show the client. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly code: HttpErrorCode,
    message: string,
    /** When a retry makes sense, in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
