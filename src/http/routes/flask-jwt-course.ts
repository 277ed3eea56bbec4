import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyError, FastifyRequest } from 'fastify';
import type { Auth } from '../../core/auth.js';
import type { AccessTokenCheck } from '../../core/tokens.js';
import { AuthError } from '../../core/errors.js';
import { signingIn, type ClientView } from '../client-address.js';
import { answerMethodNotAllowed, answerNotFound } from '../error-handler.js';
import { Answer, bearerOf, credentialsOf, CREDENTIAL_FIELDS, notFound, smorest, tokenAnswer } from './flask-jwt-course-answers.js';
import {
  CourseAccessReply,
  CourseCredentialsBody,
  CourseErrorReply,
  CourseErrors as E,
  CourseLoginReply,
  CourseMessageReply,
  CourseTokenErrorReply,
  CourseUserParams,
  CourseUserReply,
} from '../family-schemas.js';

export interface FlaskJwtCourseOptions {
  readonly auth: Auth;
  /** Where a request came from. */
  readonly client: (request: FastifyRequest) => ClientView;
}

const tags = ['flask-jwt-course'];
const config = { errorFamily: 'course' as const };
const always = { 500: E.internal, 503: E.unavailable } as const;
const withBody = {
  ...always,
  400: { ...CourseErrorReply, description: 'The body is not valid JSON (`{"json": ["Invalid JSON body."]}`)' },
  413: E.tooLarge,
  415: E.unsupportedType,
  422: { ...CourseErrorReply, description: 'A field missing, unknown, null or not a string (`errors.json`), or a username or password the rules refuse' },
  429: E.rateLimited,
} as const;
const tokenError = { ...CourseTokenErrorReply, description: 'No access token, or one that is malformed, wrongly signed, expired, or of an ended session' } as const;
const security = [{ bearerAuth: [] }];
const adminOrUser = [{ adminToken: [] }, { bearerAuth: [] }];

/** The course's routes at the root (docs/api-families.md): register, log in and out, refresh, a user. */
export const flaskJwtCourse: FastifyPluginAsyncJsonSchemaToTs<{ Options: FlaskJwtCourseOptions }> = async (app, { auth, client }) => {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof Answer) return reply.code(error.status).send(error.body);
    // webargs' answers to a body it could not read: malformed JSON, and no JSON at all (no fields).
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return reply.code(400).send({ code: 400, errors: { json: ['Invalid JSON body.'] }, status: 'Bad Request' });
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      const missing = Object.fromEntries(CREDENTIAL_FIELDS.map((name) => [name, ['Missing data for required field.']]));
      return reply.code(422).send({ code: 422, errors: { json: missing }, status: 'Unprocessable Entity' });
    }
    throw error;
  });
  const methodNotAllowed = (path: string, allowed: readonly string[]) =>
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].filter((method) => !allowed.includes(method)),
      url: path,
      config,
      schema: { hide: true },
      handler: (_request, reply) => answerMethodNotAllowed(reply, 'course'),
    });

  /** The live access token's check, or its 401 in the course's words. */
  async function accessOf(request: FastifyRequest): Promise<Extract<AccessTokenCheck, { verdict: 'valid' }>> {
    const check = await auth.checkAccessToken(bearerOf(request));
    if (check.verdict === 'valid') return check;
    throw tokenAnswer(check.verdict === 'expired' ? 'expired' : check.verdict === 'revoked' ? 'revoked' : 'invalid');
  }

  /**
   * Who may read or delete user `id`: an operator with the admin token, or the user with their
   * own access token (fresh, when `isFreshNeeded`). The original let anyone (a deviation).
   */
  async function authorizeFor(request: FastifyRequest, id: string, isFreshNeeded: boolean): Promise<'admin' | Extract<AccessTokenCheck, { verdict: 'valid' }>> {
    const token = bearerOf(request);
    try {
      auth.authorizeAdmin(token);
      return 'admin';
    } catch (error) {
      if (!(error instanceof AuthError && error.code === 'invalid_client')) throw error;
    }
    const check = await accessOf(request);
    if (check.principal.userId !== id) throw smorest(403, 'Forbidden', { message: 'Only the user or an operator may do this.' });
    if (isFreshNeeded && !check.claims.fresh) throw tokenAnswer('notFresh');
    return check;
  }

  app.post(
    '/register',
    {
      config,
      attachValidation: true,
      schema: {
        tags,
        summary: 'Register a username',
        consumes: ['application/json'],
        body: CourseCredentialsBody,
        response: {
          201: { ...CourseMessageReply, description: '`User created successfully.`' },
          ...withBody,
          409: { ...CourseErrorReply, description: '`A user with that username already exists.`' },
        },
      },
    },
    async (request, reply) => {
      const { username, password } = credentialsOf(request);
      try {
        await auth.register(username, password, client(request), { kind: 'username' });
      } catch (error) {
        if (error instanceof AuthError && error.code === 'email_taken') {
          throw smorest(409, 'Conflict', { message: 'A user with that username already exists.' });
        }
        if (error instanceof AuthError && error.code === 'invalid_input') throw smorest(422, 'Unprocessable Entity', { message: error.message });
        throw error;
      }
      return reply.code(201).send({ message: 'User created successfully.' });
    },
  );
  methodNotAllowed('/register', ['POST']);

  app.post(
    '/login',
    {
      config,
      attachValidation: true,
      schema: {
        tags,
        summary: 'Log in: a fresh access token and a refresh token, in a new token session',
        consumes: ['application/json'],
        body: CourseCredentialsBody,
        response: {
          200: { ...CourseLoginReply, description: 'The tokens' },
          ...withBody,
          401: { ...CourseErrorReply, description: '`Invalid credentials.` for an unknown username and a wrong password alike' },
        },
      },
    },
    async (request) => {
      const { username, password } = credentialsOf(request);
      try {
        const pair = await auth.grantTokens(username, password, signingIn(client(request), request), { kind: 'username' });
        return { access_token: pair.accessToken, refresh_token: pair.refreshToken };
      } catch (error) {
        // A name that cannot be a username (it has an @) is as unknown as any other.
        if (error instanceof AuthError && (error.code === 'invalid_credentials' || error.code === 'invalid_input')) {
          throw smorest(401, 'Unauthorized', { message: 'Invalid credentials.' });
        }
        throw error;
      }
    },
  );
  methodNotAllowed('/login', ['POST']);

  app.post(
    '/logout',
    {
      config,
      schema: {
        tags,
        summary: "Log out: ends the access token's session, its refresh token with it",
        security,
        response: { 200: { ...CourseMessageReply, description: '`Successfully logged out`' }, ...always, 401: tokenError },
      },
    },
    async (request) => {
      const { principal } = await accessOf(request);
      try {
        await auth.logOut(principal, client(request));
      } catch (error) {
        if (error instanceof AuthError && error.code === 'invalid_session') throw tokenAnswer('revoked');
        throw error;
      }
      return { message: 'Successfully logged out' };
    },
  );
  methodNotAllowed('/logout', ['POST']);

  app.post(
    '/refresh',
    {
      config,
      schema: {
        tags,
        summary: 'A non-fresh access token for the refresh token (as Bearer), which is used up',
        security,
        response: { 200: { ...CourseAccessReply, description: 'The new access token' }, ...always, 401: tokenError, 429: E.rateLimited },
      },
    },
    async (request) => {
      const token = bearerOf(request);
      try {
        const { accessToken } = await auth.refreshAccessToken(token, client(request));
        return { access_token: accessToken };
      } catch (error) {
        if (error instanceof AuthError && error.code === 'token_revoked') throw tokenAnswer('revoked');
        if (error instanceof AuthError && error.code === 'invalid_grant') throw tokenAnswer('invalid');
        throw error;
      }
    },
  );
  methodNotAllowed('/refresh', ['POST']);

  app.get(
    '/user/:id',
    {
      config,
      schema: {
        tags,
        summary: 'A user, for an operator (admin token) or the user (own access token)',
        security: adminOrUser,
        params: CourseUserParams,
        response: {
          200: { ...CourseUserReply, description: 'The user' },
          ...always,
          401: tokenError,
          403: { ...CourseErrorReply, description: "Another user's access token" },
          404: { ...CourseErrorReply, description: 'No such user' },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      await authorizeFor(request, id, false);
      const account = await auth.readAccount(id);
      if (!account) throw notFound();
      return { id: account.id, username: account.identifier };
    },
  );

  app.delete(
    '/user/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Delete a user and end all of its sessions, for an operator (admin token) or the user (own fresh access token)',
        security: adminOrUser,
        params: CourseUserParams,
        response: {
          200: { ...CourseMessageReply, description: '`User deleted.`' },
          ...always,
          401: tokenError,
          403: { ...CourseErrorReply, description: "Another user's access token" },
          404: { ...CourseErrorReply, description: 'No such user' },
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const caller = await authorizeFor(request, id, true);
      try {
        if (caller === 'admin') await auth.deleteUser({ id }, { door: 'token', address: client(request).address });
        else await auth.deleteOwnAccount(caller.principal, client(request));
      } catch (error) {
        if (error instanceof AuthError && (error.code === 'user_not_found' || error.code === 'invalid_session')) throw notFound();
        throw error;
      }
      return { message: 'User deleted.' };
    },
  );
  methodNotAllowed('/user/:id', ['GET', 'DELETE']);
  // Under /user, a path that names no user is the course's 404 too (its id did not match the route).
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url: '/user/*', config, schema: { hide: true }, handler: (_request, reply) => answerNotFound(reply, 'course') });
};
