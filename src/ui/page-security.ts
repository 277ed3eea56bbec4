import { randomFillSync, timingSafeEqual } from 'node:crypto';
import { serialize as serializeCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie } from '../http/authenticate.js';
import { HttpError } from '../http/http-error.js';

/**
 * The pages' own headers, over those every answer has (no-store, nosniff, no-referrer): a CSP
 * that lets a page load only Sesame's own stylesheet and script files, never inline code, never
 * in a frame (clickjacking), and forms that post only back to Sesame.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy("'self'"),
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

function contentSecurityPolicy(formAction: string): string {
  return `default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * The pages' CSP for a page whose form may end at `origin` too: a log-in told to return to a
 * trusted origin answers its form with a redirect there, and browsers hold a form's redirects
 * to `form-action` as well as its action.
 */
export function cspWithFormsEndingAt(origin: string): string {
  return contentSecurityPolicy(`'self' ${origin}`);
}

/** The name of the form field every page form carries its token in. */
export const FORM_TOKEN_FIELD = 'form_token';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_BYTES = 32;

// Each first visit draws a token: 32 bytes at a time from a CSPRNG block filled 128 tokens at
// once, each byte used once, since one system call per page cost the log-in page a third of its time.
const pool = Buffer.alloc(TOKEN_BYTES * 128);
let poolOffset = pool.length;
function newToken(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += TOKEN_BYTES;
  return pool.toString('base64url', poolOffset - TOKEN_BYTES, poolOffset);
}

/** The form-token cookie's settings: the session cookie's `secure`. */
export interface FormTokenCookie {
  readonly secure: 'auto' | 'always';
}

// The cookie's attributes never change: its header is written once, around the token.
function formCookie(name: string, secure: boolean) {
  const [before = '', after = ''] = serializeCookie(name, 'TOKEN', { path: '/', httpOnly: true, sameSite: 'strict', secure }).split('TOKEN');
  return { name, before, after };
}

/**
 * Forms' CSRF token, as a double-submit cookie (OWASP CSRF cheat sheet): a random value in an
 * HttpOnly, SameSite=Strict cookie, repeated in a hidden field of every form. Another site can
 * make a browser send the cookie only on a top-level navigation, never read it, so it cannot
 * write the field. It backs Fetch Metadata and Origin (`refuseCrossSite`), which older
 * browsers and some privacy tools leave out.
 */
export function createFormTokens({ secure }: FormTokenCookie) {
  // Over https the cookie is __Host- prefixed, which a sibling subdomain cannot set (cookie
  // tossing); the prefix needs Secure, so plain http (a laptop, a test) keeps the plain name.
  const prefixed = formCookie('__Host-sesame_form', true);
  const plain = formCookie('sesame_form', false);
  const cookieFor = (isHttps: boolean) => (secure === 'always' || isHttps ? prefixed : plain);
  return {
    /** The token for the forms of this answer; sets the cookie when the browser has none yet. */
    tokenFor(request: FastifyRequest, reply: FastifyReply, isHttps: boolean): string {
      const cookie = cookieFor(isHttps);
      const held = readCookie(request, cookie.name);
      if (held !== null && TOKEN.test(held)) return held;
      const token = newToken();
      void reply.header('set-cookie', cookie.before + token + cookie.after);
      return token;
    },

    /** Throws `cross_site` unless the request's field repeats its cookie. */
    check(request: FastifyRequest, isHttps: boolean): void {
      const held = readCookie(request, cookieFor(isHttps).name);
      const body = request.body as Record<string, unknown> | null | undefined;
      const sent = body?.[FORM_TOKEN_FIELD];
      if (held === null || !TOKEN.test(held) || typeof sent !== 'string' || sent.length !== held.length) {
        throw new HttpError('cross_site', 'form token missing or wrong');
      }
      if (!timingSafeEqual(Buffer.from(sent), Buffer.from(held))) throw new HttpError('cross_site', 'form token missing or wrong');
    },
  };
}

export type FormTokens = ReturnType<typeof createFormTokens>;
