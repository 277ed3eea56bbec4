import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import type { Auth } from '../../core/auth.js';
import type { Principal } from '../../core/deps.js';
import { AuthError } from '../../core/errors.js';
import { signingIn, type ClientView } from '../client-address.js';
import { answerMethodNotAllowed, answerNotFound } from '../error-handler.js';
import { PjaErrors as E, PjaLoginBody, PjaReply, PjaSignupBody, PjaTokenReply, PjaUserReply } from '../family-schemas.js';

export interface PythonJwtAuthOptions {
  readonly auth: Auth;
  /** Where a request came from. */
  readonly client: (request: FastifyRequest) => ClientView;
}

const tags = ['python-jwt-auth'];
// Errors the error handler answers for these routes take the family's shape.
const config = { errorFamily: 'pja' as const };
const always = { 500: E.internal, 503: E.unavailable } as const;
const withBody = { ...always, 400: { ...PjaReply, description: 'A field missing, null or not a string, a body that is not a JSON object, or an email or password the rules refuse' }, 413: E.tooLarge, 415: E.unsupportedType, 429: E.rateLimited } as const;
const badToken = { ...PjaReply, description: 'No token, or a token that is malformed, wrongly signed, expired, or of a session that has ended (logged out)' } as const;
const security = [{ bearerAuth: [] }];
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** A contract answer: `{"status": "failed", "message"}` with its status. */
class Failed extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const failed = (status: number, message: string) => new Failed(status, message);

/** What the token check's verdicts answer, in the original's words (auth_utils.py). */
const TOKEN_MESSAGES = {
  bad_signature: "Token Signature doesn't match",
  expired: 'Signature is expired. Please log in again to refresh',
  invalid: 'Invalid token signature',
  revoked: 'JWT token is blocked. Please login again',
} as const;

/**
 * The fields of a JSON object body, checked as the original checked them: a missing one, then
 * a null one. The original crashed (500) on a body that is not a JSON object and on a value that
 * is not a string: here they are 400s (docs/api-families.md, deviations). `onMissing` is the
 * answer to a missing field, built only then: an error captures a stack trace, which every
 * log-in paid for when it was built up front.
 */
function fieldsOf<const N extends string>(request: FastifyRequest, names: readonly N[], onMissing: { readonly status: number; readonly message: string }): Record<N, string> {
  const { body } = request;
  if (!JSON_TYPE.test(request.headers['content-type'] ?? '') || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw failed(400, 'Request body must be a JSON object.');
  }
  const fields = body as Record<string, unknown>;
  if (names.some((name) => !(name in fields))) throw failed(onMissing.status, onMissing.message);
  if (names.some((name) => fields[name] === null)) throw failed(400, 'One or more required fields are null');
  const notString = names.filter((name) => typeof fields[name] !== 'string');
  if (notString.length > 0) throw failed(400, `Fields must be strings: ${notString.join(', ')}`);
  return fields as Record<N, string>;
}

/** The python-jwt-auth API under `/auth` (register it with that prefix; docs/api-families.md). */
export const pythonJwtAuth: FastifyPluginAsyncJsonSchemaToTs<{ Options: PythonJwtAuthOptions }> = async (app, { auth, client }) => {
  // Under /auth, a path no route has answers in the family's shape; a method a path does not take, 405.
  app.setNotFoundHandler((_request, reply) => answerNotFound(reply, 'pja'));
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof Failed) return reply.code(error.status).send({ status: 'failed', message: error.message });
    throw error;
  });
  const methodNotAllowed = (path: string, allowed: string) =>
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((method) => method !== allowed),
      url: path,
      config,
      schema: { hide: true },
      handler: (_request, reply) => answerMethodNotAllowed(reply, 'pja'),
    });

  /** The principal behind the request's `Authorization` header, or a 401 in the original's words. */
  async function principalOf(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization ?? '';
    // The original read the second word whatever the first; an empty header is no header.
    if (header === '') throw failed(401, 'Auth token missing');
    const token = header.split(' ')[1];
    // No second word: the original crashed (500); nothing was presented.
    if (token === undefined) throw failed(401, 'Auth token missing');
    const check = await auth.checkAccessToken(token);
    if (check.verdict !== 'valid') throw failed(401, TOKEN_MESSAGES[check.verdict]);
    return check.principal;
  }

  app.get(
    '/ping',
    { config, schema: { tags, summary: 'Liveness', response: { 200: { ...PjaReply, description: '`APIs are up and running`' }, ...always } } },
    () => ({ status: 'success' as const, message: 'APIs are up and running' }),
  );
  methodNotAllowed('/ping', 'GET');

  app.post(
    '/signup',
    {
      config,
      attachValidation: true,
      schema: {
        tags,
        summary: 'Register (email, password, name) and get an access token',
        consumes: ['application/json'],
        body: PjaSignupBody,
        response: {
          201: { ...PjaTokenReply, description: '`User signed up successful.`' },
          202: { ...PjaReply, description: 'The email is already registered: `User already exists.`' },
          ...withBody,
        },
      },
    },
    async (request, reply) => {
      const { email, password, name } = fieldsOf(request, ['email', 'password', 'name'], { status: 400, message: 'Required fields are missing.' });
      const from = signingIn(client(request), request);
      try {
        await auth.register(email, password, from, { claims: { name } });
      } catch (error) {
        if (error instanceof AuthError && error.code === 'email_taken') throw failed(202, 'User already exists.');
        throw refusedInput(error);
      }
      const { accessToken } = await auth.grantTokens(email, password, from);
      return reply.code(201).send({ status: 'success', message: 'User signed up successful.', jwt_token: accessToken });
    },
  );
  methodNotAllowed('/signup', 'POST');

  app.post(
    '/login',
    {
      config,
      attachValidation: true,
      schema: {
        tags,
        summary: 'Log in: starts a token session and returns its access token',
        consumes: ['application/json'],
        body: PjaLoginBody,
        response: {
          200: { ...PjaTokenReply, description: '`User login successful.`' },
          ...withBody,
          401: { ...PjaReply, description: '`Incorrect Password` (in strict, also for an unknown email), or `Email / Password missing`' },
          404: { ...PjaReply, description: 'Compat only: the email is not registered (`User not found`)' },
        },
      },
    },
    async (request) => {
      const { email, password } = fieldsOf(request, ['email', 'password'], { status: 401, message: 'Email / Password missing' });
      try {
        const { accessToken } = await auth.grantTokens(email, password, signingIn(client(request), request), { tellsUnknownAccount: true });
        return { status: 'success' as const, message: 'User login successful.', jwt_token: accessToken };
      } catch (error) {
        if (error instanceof AuthError && error.code === 'invalid_credentials') throw failed(401, 'Incorrect Password');
        if (error instanceof AuthError && error.code === 'email_not_registered') throw failed(404, 'User not found');
        throw refusedInput(error);
      }
    },
  );
  methodNotAllowed('/login', 'POST');

  app.post(
    '/logout',
    {
      config,
      schema: {
        tags,
        summary: "Log out: ends the token's session",
        security,
        response: { 200: { ...PjaReply, description: '`Logout Successful`' }, ...always, 401: badToken },
      },
    },
    async (request) => {
      const principal = await principalOf(request);
      try {
        await auth.logOut(principal, client(request));
      } catch (error) {
        // Ended meanwhile by another request: this token is as dead as a logged-out one.
        if (error instanceof AuthError && error.code === 'invalid_session') throw failed(401, TOKEN_MESSAGES.revoked);
        throw error;
      }
      return { status: 'success' as const, message: 'Logout Successful' };
    },
  );
  methodNotAllowed('/logout', 'POST');

  app.get(
    '/user',
    {
      config,
      schema: {
        tags,
        summary: "The token's user",
        security,
        response: {
          200: { ...PjaUserReply, description: '`Successfully fetched user details`' },
          ...always,
          401: badToken,
          404: { ...PjaReply, description: 'The user is gone (`User not found`)' },
        },
      },
    },
    async (request) => {
      const account = await auth.readAccount((await principalOf(request)).userId);
      if (!account) throw failed(404, 'User not found');
      const claims = account.claims ?? {};
      return {
        status: 'success' as const,
        message: 'Successfully fetched user details',
        details: {
          email: account.identifier,
          name: typeof claims.name === 'string' ? claims.name : '',
          admin: claims.admin === true || claims.is_admin === true,
          // An HTTP date (RFC 1123), as Flask formatted datetimes.
          registered_on: account.registeredAt.toUTCString(),
        },
      };
    },
  );
  methodNotAllowed('/user', 'GET');
};

/** A core refusal of the input (a malformed email, a password the rules refuse) as the family's 400; anything else as it is. */
function refusedInput(error: unknown): unknown {
  return error instanceof AuthError && error.code === 'invalid_input' ? failed(400, error.message) : error;
}

