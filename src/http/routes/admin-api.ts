import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Operator, type UserRef, type UserUpdate } from '../../core/admin.js';
import type { Auth } from '../../core/auth.js';
import { readBearerToken } from '../authenticate.js';
import type { ClientView } from '../client-address.js';
import { answerNotFound } from '../error-handler.js';
import { HttpError } from '../http-error.js';
import {
  AdminErrorReply,
  AdminErrors as E,
  AdminUserReply,
  CreateUserBody,
  EndedReply,
  NoBody,
  SessionListReply,
  SetPasswordBody,
  UpdateUserBody,
  UserListQuery,
  UserPageReply,
  UserRefParams,
  UserSessionParams,
} from '../schemas.js';
import { sessionJson, userJson } from '../views.js';

export interface AdminApiOptions {
  readonly auth: Auth;
  /** Where a request came from. */
  readonly client: (request: FastifyRequest) => ClientView;
  /** Whether a caller must present the admin token; false only on a loopback admin listener. */
  readonly hasToken: boolean;
}

const tags = ['admin API'];
const config = { errorFamily: 'admin' as const };
const security = [{ adminToken: [] }];
const JSON_ONLY = ['application/json'];

// What every route can answer (any request may carry a body, and a refused one), and what a route naming a user can.
const always = {
  400: E.badRequest,
  401: { ...AdminErrorReply, headers: { 'www-authenticate': { type: 'string', description: '`Bearer realm="sesame-admin"`' } }, description: '`invalid_client`: no admin token, or not the right one' },
  403: { ...AdminErrorReply, description: '`cross_site`: a browser request (or a host name other than a loopback one) on an admin listener without a token' },
  413: E.tooLarge,
  415: { ...AdminErrorReply, description: 'A body that is not JSON in UTF-8' },
  500: E.internal,
  503: E.unavailable,
} as const;
const noUser = { ...AdminErrorReply, description: '`user_not_found`: no user has this id or email' } as const;
const invalid = { ...AdminErrorReply, description: '`invalid_request`: a field missing, unknown, repeated or of the wrong type; `invalid_input`: a malformed email, or a password the rules refuse' } as const;

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** A `{ref}` path parameter: an email when it holds an `@` (an id never does), else an id or a username. */
function userRef(ref: string): UserRef {
  return ref.includes('@') ? { email: ref } : { idOrIdentifier: ref };
}

/** `limit` as sent: a whole number from 1 to `MAX_PAGE_SIZE`. */
function pageSize(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  const size = /^\d{1,4}$/.test(limit) ? Number(limit) : 0;
  if (size < 1 || size > MAX_PAGE_SIZE) throw new HttpError('invalid_request', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  return size;
}

/** Refuses a body that is not declared JSON, before it is read. */
async function requireJson(request: FastifyRequest): Promise<void> {
  if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
    throw new HttpError('unsupported_media_type', 'send the body as application/json');
  }
}

/**
 * The admin API under `/admin` (register it with that prefix; docs/security.md#the-admin-api): users and their sessions, for operators. With
 * a token configured, every call must carry it; the routes are then served wherever the admin
 * API is. Without one (a loopback admin listener, compat profile only), any local process may
 * call them, but a web page in a local browser may not.
 */
/**
 * On the admin listener without a token: any local process may call it; a web page in a
 * browser on this host is not one of them, yet it can reach the listener: by a cross-site form,
 * or by DNS rebinding (then under its own host name). Browsers mark their requests (Origin,
 * Sec-Fetch-Site) and name the host they think they reach; curl and scripts send neither mark.
 */
export function refuseUnlessLocalTool(request: FastifyRequest): void {
  const isBrowser = request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined;
  if (isBrowser || !LOOPBACK_HOST.test(request.headers.host ?? '')) {
    throw new HttpError('cross_site', 'the admin listener without a token answers only local clients that are not browsers');
  }
}

export const adminApi: FastifyPluginAsyncJsonSchemaToTs<{ Options: AdminApiOptions }> = async (app, { auth, client, hasToken }) => {
  const door = hasToken ? 'token' : 'listener';
  const authorize = async (request: FastifyRequest): Promise<void> => {
    if (hasToken) {
      auth.authorizeAdmin(readBearerToken(request) || null);
      return;
    }
    refuseUnlessLocalTool(request);
  };
  const operator = (request: FastifyRequest): Operator => ({ door, address: client(request).address, requestId: request.id });
  const withBody = [authorize, requireJson];
  // Under /admin, even a path no route has (or a parameter too long for the router) answers in the family's shape.
  app.setNotFoundHandler((_request, reply) => answerNotFound(reply, 'admin'));

  app.get(
    '/users',
    {
      config,
      onRequest: authorize,
      schema: {
        tags,
        summary: 'List users, a page at a time (newest or oldest first)',
        security,
        querystring: UserListQuery,
        response: {
          200: {
            ...UserPageReply,
            description: 'A page of users. Filtering by `state=locked` reads a bounded number of rows per call: a page may hold fewer users than `limit` (even none) and still have a `next_cursor`',
          },
          ...always,
          400: { ...AdminErrorReply, description: '`invalid_request`: a query parameter unknown, repeated or out of range, or a cursor that is not one' },
        },
      },
    },
    async (request) => {
      const { order, limit, cursor, email, state } = request.query;
      const page = await auth.listUsers({
        order: order ?? 'newest',
        limit: pageSize(limit),
        cursor: cursor ?? null,
        emailPrefix: email ?? null,
        state: state ?? null,
      });
      return { users: page.users.map(userJson), next_cursor: page.nextCursor };
    },
  );

  app.post(
    '/users',
    {
      config,
      onRequest: withBody,
      schema: {
        tags,
        summary: 'Create a user (the password rules apply)',
        security,
        consumes: JSON_ONLY,
        body: CreateUserBody,
        response: {
          201: { ...AdminUserReply, description: 'Created' },
          ...always,
          400: invalid,
          409: { ...AdminErrorReply, description: '`email_taken`: a user has this email already' },
        },
      },
    },
    async (request, reply) => {
      const user = await auth.createUser(request.body.email, request.body.password, operator(request));
      return reply.code(201).send(userJson(user));
    },
  );

  app.get(
    '/users/:ref',
    {
      config,
      onRequest: authorize,
      schema: {
        tags,
        summary: 'One user, by id or email',
        security,
        params: UserRefParams,
        response: { 200: { ...AdminUserReply, description: 'The user' }, ...always, 404: noUser },
      },
    },
    async (request) => userJson(await auth.getUser(userRef(request.params.ref))),
  );

  app.patch(
    '/users/:ref',
    {
      config,
      onRequest: withBody,
      schema: {
        tags,
        summary: 'Disable or enable a user, set its claims, change its email; disabling or a new email ends every session of the user',
        security,
        consumes: JSON_ONLY,
        params: UserRefParams,
        body: UpdateUserBody,
        response: {
          200: { ...AdminUserReply, description: 'The user as updated' },
          ...always,
          400: invalid,
          404: noUser,
          409: { ...AdminErrorReply, description: '`email_taken`: another user has this email' },
        },
      },
    },
    async (request) => {
      const { disabled, claims, email } = request.body;
      const update: UserUpdate = {
        ...(disabled === undefined ? {} : { disabled }),
        ...(claims === undefined ? {} : { claims }),
        ...(email === undefined ? {} : { email }),
      };
      if (Object.keys(update).length === 0) throw new HttpError('invalid_request', 'give at least one of disabled, claims, email');
      return userJson(await auth.updateUser(userRef(request.params.ref), update, operator(request)));
    },
  );

  app.put(
    '/users/:ref/password',
    {
      config,
      onRequest: withBody,
      schema: {
        tags,
        summary: "Set a user's password (the password rules apply); ends every session of the user",
        security,
        consumes: JSON_ONLY,
        params: UserRefParams,
        body: SetPasswordBody,
        response: { 204: { ...NoBody, description: 'Set; every session of the user has ended' }, ...always, 400: invalid, 404: noUser },
      },
    },
    async (request, reply) => {
      await auth.setPassword(userRef(request.params.ref), request.body.password, operator(request));
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/users/:ref',
    {
      config,
      onRequest: authorize,
      schema: {
        tags,
        summary: 'Delete a user and everything of theirs (sessions, refresh tokens, reset tokens, attempt counters)',
        security,
        params: UserRefParams,
        response: { 204: { ...NoBody, description: 'Deleted' }, ...always, 404: noUser },
      },
    },
    async (request, reply) => {
      await auth.deleteUser(userRef(request.params.ref), operator(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/:ref/sessions',
    {
      config,
      onRequest: authorize,
      schema: {
        tags,
        summary: "A user's live sessions, newest first",
        security,
        params: UserRefParams,
        response: { 200: { ...SessionListReply, description: 'The sessions' }, ...always, 404: noUser },
      },
    },
    async (request) => ({ sessions: (await auth.listSessions(userRef(request.params.ref))).map(sessionJson) }),
  );

  app.delete(
    '/users/:ref/sessions',
    {
      config,
      onRequest: authorize,
      schema: {
        tags,
        summary: 'End every session of a user (cookies, refresh tokens, and access tokens at Sesame)',
        security,
        params: UserRefParams,
        response: { 200: { ...EndedReply, description: 'Ended' }, ...always, 404: noUser },
      },
    },
    async (request) => ({ ended: await auth.endSessions(userRef(request.params.ref), operator(request)) }),
  );

  app.delete(
    '/users/:ref/sessions/:session_id',
    {
      config,
      onRequest: authorize,
      schema: {
        tags,
        summary: 'End one session of a user',
        security,
        params: UserSessionParams,
        response: {
          204: { ...NoBody, description: 'Ended' },
          ...always,
          404: { ...AdminErrorReply, description: "`user_not_found`; or `session_not_found`: no live session of this user's has this id" },
        },
      },
    },
    async (request, reply) => {
      await auth.endSession(userRef(request.params.ref), request.params.session_id, operator(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/:ref/unlock',
    {
      config,
      onRequest: authorize,
      schema: {
        tags,
        summary: "Clear a user's failed log-in counters (this instance's and the shared ones)",
        security,
        params: UserRefParams,
        response: { 204: { ...NoBody, description: 'Unlocked' }, ...always, 404: noUser },
      },
    },
    async (request, reply) => {
      await auth.unlock(userRef(request.params.ref), operator(request));
      return reply.code(204).send(null);
    },
  );
};
