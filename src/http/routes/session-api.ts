import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyRequest } from 'fastify';
import type { Auth } from '../../core/auth.js';
import { principalOf, readSessionToken, requireSession } from '../authenticate.js';
import { signingIn, type ClientView } from '../client-address.js';
import { clearedSessionCookieHeader, sessionCookieHeader } from '../session-cookie.js';
import {
  ChangePasswordBody,
  CredentialsBody,
  EmailBody,
  EmailMessageReply,
  EmailReply,
  FORM_OR_JSON,
  MessageReply,
  OwnSessionListReply,
  ResetPasswordBody,
  ResetRequestedReply,
  ResetTokenReply,
  NoBody,
  SessionErrors as E,
  SessionIdParams,
  wwwAuthenticate,
} from '../schemas.js';
import { ownSessionJson } from '../views.js';

export interface SessionApiOptions {
  readonly auth: Auth;
  /** Where a request came from. */
  readonly client: (request: FastifyRequest) => ClientView;
  /** The session cookie's name; Secure `always`, or when the client came over https (`auto`). */
  readonly cookie: { readonly name: string; readonly secure: 'auto' | 'always' };
  /** The `Link` header of `GET /`: where the API is described. */
  readonly describedBy: string;
  /** Refuses cross-site browser log-ins (login CSRF). */
  readonly loginGuard: (request: FastifyRequest) => Promise<void>;
  /** Refuses cross-site browser requests that a cookie would authorise (CSRF). */
  readonly cookieGuard: (request: FastifyRequest) => Promise<void>;
}


const tags = ['session API'];
const cookieOrBearer = [{ sessionCookie: [] }, { bearerAuth: [] }];

// What every route can answer; and a route that reads a body, what a body can be refused for.
const always = { 500: E.internal, 503: E.unavailable } as const;
const withBody = { ...always, 400: E.badRequest, 413: E.tooLarge, 415: E.unsupportedType } as const;
const setCookie = { 'set-cookie': { type: 'string', description: 'The session cookie: HttpOnly, SameSite=Lax, Path=/' } } as const;
const noSession = { ...MessageReply, description: 'No session cookie of a live session, or a browser request from another site' } as const;
const badBearer = { ...MessageReply, headers: wwwAuthenticate, description: 'The Bearer access token is malformed, invalid or expired, or its session has ended' } as const;

/** The compatibility contract of DESIGN.md §2, plus `PUT /password`, `GET /sessions` and `DELETE /sessions/{id}`. */
export const sessionApi: FastifyPluginAsyncJsonSchemaToTs<{ Options: SessionApiOptions }> = async (app, { auth, client, cookie, describedBy, loginGuard, cookieGuard }) => {
  const withSession = requireSession(auth, cookie.name);

  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'Welcome message',
        response: {
          200: {
            ...MessageReply,
            description: '`{"message": "Bienvenue"}`',
            headers: { link: { type: 'string', description: 'Where this API is described (RFC 8631): `</docs>; rel="service-doc"` when the docs page is on, and `</openapi.json>; rel="service-desc"`' } },
          },
          ...always,
        },
      },
    },
    (_request, reply) => {
      void reply.header('link', describedBy);
      return { message: 'Bienvenue' };
    },
  );

  app.post(
    '/users',
    {
      schema: {
        tags,
        summary: 'Register a user',
        consumes: FORM_OR_JSON,
        body: CredentialsBody,
        response: {
          200: { ...EmailMessageReply, description: 'Registered' },
          ...withBody,
          400: { ...MessageReply, description: 'The email is already registered (`{"message": "email already registered"}`), or a field is missing, malformed or breaks the password rules' },
          429: E.rateLimited,
        },
      },
    },
    async (request) => {
      await auth.register(request.body.email, request.body.password, client(request));
      return { email: request.body.email, message: 'user created' };
    },
  );

  app.post(
    '/sessions',
    {
      // Login CSRF: another site must not sign a browser in to an account of its choosing.
      onRequest: loginGuard,
      schema: {
        tags,
        summary: 'Log in: sets the session_id cookie',
        consumes: FORM_OR_JSON,
        body: CredentialsBody,
        response: {
          200: { ...EmailMessageReply, headers: setCookie, description: 'Logged in' },
          ...withBody,
          401: { ...MessageReply, headers: wwwAuthenticate, description: 'Wrong email or password' },
          403: E.crossSite,
          429: E.rateLimited,
        },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const from = client(request);
      const { sessionToken } = await auth.logIn(email, password, readSessionToken(request, cookie.name), signingIn(from, request));
      void reply.header('set-cookie', sessionCookieHeader(cookie, from, sessionToken));
      return { email, message: 'logged in' };
    },
  );

  app.delete(
    '/sessions',
    {
      onRequest: [cookieGuard, withSession],
      schema: {
        tags,
        summary: 'Log out: ends the session; with a cookie, clears it and redirects to /; with a Bearer token, 204',
        security: cookieOrBearer,
        response: {
          204: { ...NoBody, description: 'Logged out with a Bearer token: its session has ended' },
          302: {
            ...NoBody,
            description: 'Logged out with the cookie: the session has ended and the cookie is cleared',
            headers: {
              location: { type: 'string', description: '`/`' },
              'set-cookie': { type: 'string', description: 'The session cookie, cleared (Max-Age=0)' },
              'clear-site-data': { type: 'string', description: '`"cookies"`' },
            },
          },
          ...withBody,
          401: badBearer,
          403: noSession,
        },
      },
    },
    async (request, reply) => {
      const from = client(request);
      await auth.logOut(principalOf(request), from);
      if (request.credential === 'bearer') return reply.code(204).send(null);
      // The browser drops every cookie of this origin too (OWASP session cheat sheet).
      void reply.header('clear-site-data', '"cookies"');
      return reply.header('set-cookie', clearedSessionCookieHeader(cookie, from)).redirect('/', 302);
    },
  );

  app.get(
    '/sessions',
    {
      onRequest: [cookieGuard, withSession],
      schema: {
        tags,
        summary: "The caller's live sessions, newest first; `current` marks the one this request came with",
        security: cookieOrBearer,
        response: { 200: { ...OwnSessionListReply, description: "The caller's sessions" }, ...always, 401: badBearer, 403: noSession },
      },
    },
    async (request) => ({ sessions: (await auth.listOwnSessions(principalOf(request))).map(ownSessionJson) }),
  );

  app.delete(
    '/sessions/:id',
    {
      onRequest: [cookieGuard, withSession],
      schema: {
        tags,
        summary: "End one of the caller's sessions (from GET /sessions)",
        security: cookieOrBearer,
        params: SessionIdParams,
        response: {
          204: { ...NoBody, description: 'Ended' },
          ...withBody,
          401: badBearer,
          403: noSession,
          404: { ...MessageReply, description: 'No live session of the caller\'s has this id (`{"message": "session not found"}`)' },
        },
      },
    },
    async (request, reply) => {
      await auth.endOwnSession(principalOf(request), request.params.id, client(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/profile',
    {
      onRequest: withSession,
      schema: {
        tags,
        summary: "The session's user",
        security: cookieOrBearer,
        response: { 200: { ...EmailReply, description: "The session's user, with the email as stored" }, ...always, 401: badBearer, 403: noSession },
      },
    },
    (request) => ({ email: principalOf(request).email }),
  );

  app.post(
    '/reset_password',
    {
      schema: {
        tags,
        summary: 'Get a password reset token (or, with webhook delivery, have it sent to the webhook receiver)',
        consumes: FORM_OR_JSON,
        body: EmailBody,
        response: {
          200: {
            anyOf: [ResetTokenReply, ResetRequestedReply],
            description: 'The reset token; or, with webhook delivery, `reset requested` for every email alike',
          },
          ...withBody,
          403: { ...MessageReply, description: 'The email is not registered (only when the token is returned here)' },
          429: E.rateLimited,
        },
      },
    },
    async (request) => {
      const { resetToken } = await auth.requestPasswordReset(request.body.email, client(request));
      const { email } = request.body;
      return resetToken === null ? { email, message: 'reset requested' as const } : { email, reset_token: resetToken };
    },
  );

  app.put(
    '/reset_password',
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset token; ends every session of the user',
        consumes: FORM_OR_JSON,
        body: ResetPasswordBody,
        response: {
          200: { ...EmailMessageReply, description: 'Password updated; every session of the user has ended' },
          ...withBody,
          403: { ...MessageReply, description: "The reset token is unknown, expired, used, or not this email's" },
          429: E.rateLimited,
        },
      },
    },
    async (request) => {
      const { email, reset_token, new_password } = request.body;
      await auth.resetPassword(email, reset_token, new_password, client(request));
      return { email, message: 'Password updated' };
    },
  );

  app.put(
    '/password',
    {
      onRequest: [cookieGuard, withSession],
      schema: {
        tags,
        summary: 'Change the password; ends every other session of the user',
        consumes: FORM_OR_JSON,
        security: cookieOrBearer,
        body: ChangePasswordBody,
        response: {
          200: { ...MessageReply, description: 'Password updated; every other session of the user has ended' },
          ...withBody,
          401: { ...MessageReply, headers: wwwAuthenticate, description: 'The current password is wrong, or the Bearer access token is bad' },
          403: noSession,
          429: E.rateLimited,
        },
      },
    },
    async (request) => {
      await auth.changePassword(principalOf(request), request.body.password, request.body.new_password, client(request));
      return { message: 'Password updated' };
    },
  );
};
