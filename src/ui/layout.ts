import { html, type Html } from './html.js';
import { say } from './messages.js';
import type { UiConfig } from './ui-config.js';

export interface LayoutOptions {
  readonly ui: UiConfig;
  readonly stylesheetPath: string;
  readonly title: string;
  readonly body: Html;
  /** The form token for the header's log-out button when the reader is signed in; null: log-in and sign-up links. */
  readonly logOutToken: Html | null;
  /** The header's links in place of the user pages' (the admin console's), and the product's home. */
  readonly header?: { readonly product: string; readonly home: string; readonly nav: Html };
}

/** The one layout: a header with the product and the account links, then the page's content. */
export function layout({ ui, stylesheetPath, title, body, logOutToken, header }: LayoutOptions): string {
  const t = ui.messages;
  const nav = header
    ? header.nav
    : logOutToken === null
      ? html`<li><a href="/ui/login">${t['nav.log_in']}</a></li><li><a href="/ui/signup">${t['nav.sign_up']}</a></li>`
      : html`<li><a href="/ui/account">${t['nav.account']}</a></li><li><form class="inline" method="post" action="/ui/logout">${logOutToken}<button type="submit" class="secondary">${t['nav.log_out']}</button></form></li>`;
  return html`<!doctype html>
<html lang="${t['page.language']}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${say(ui.messages, 'page.title', { page: title, product: ui.productName })}</title><link rel="stylesheet" href="${stylesheetPath}"></head>
<body><a class="skip" href="#main">${t['nav.skip']}</a><header><a class="product" href="${header?.home ?? '/ui/'}">${header?.product ?? ui.productName}</a><nav aria-label="${header ? t['admin.nav_label'] : t['nav.label']}"><ul>${nav}</ul></nav></header>
<main id="main">${body}</main></body></html>
`.text;
}
