import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Auth } from '../core/auth.js';
import type { ClientView } from '../http/client-address.js';
import type { SessionCookie } from '../http/session-cookie.js';
import { accountPages } from './account-pages.js';
import { createPageKit, registerPageHandlers } from './page-kit.js';
import { resetPages } from './reset-pages.js';
import { signInPages } from './sign-in-pages.js';
import type { UiConfig } from './ui-config.js';

export interface PagesOptions {
  readonly auth: Auth;
  readonly client: (request: FastifyRequest) => ClientView;
  readonly cookie: SessionCookie;
  readonly ui: UiConfig;
  readonly trustedOrigins: ReadonlySet<string>;
}

// The stylesheet's name changes with its content, so a browser may keep it as long as it likes.
const STYLESHEET_CACHE = 'public, max-age=31536000, immutable';

/** Every page under /ui/ (docs/pages.md): the stylesheet, then the pages' table of contents. */
export const pages: FastifyPluginAsync<PagesOptions> = async (app, options) => {
  const kit = createPageKit(options);
  const answerOtherMethods = registerPageHandlers(app, kit);
  const stylesheet = kit.ui.stylesheet;
  app.get(kit.stylesheetPath.slice('/ui'.length), { schema: { hide: true } }, (_request, reply) =>
    reply.header('cache-control', STYLESHEET_CACHE).type('text/css; charset=utf-8').send(stylesheet),
  );
  app.get('/', { schema: { hide: true } }, async (request, reply) => kit.seeOther(reply, (await kit.principalOf(request)) ? '/ui/account' : '/ui/login'));

  const { auth, client, cookie, trustedOrigins } = options;
  await app.register(signInPages, { kit, auth, client, cookie, trustedOrigins });
  if (kit.ui.hasPasswordReset) await app.register(resetPages, { kit, auth, client, cookie });
  await app.register(accountPages, { kit, auth, client });
  answerOtherMethods();
};
