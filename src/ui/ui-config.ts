import type { Messages } from './messages.js';

/** What the pages need to know (SESAME_UI and its settings, docs/pages.md). */
export interface UiConfig {
  /** Shown in the header and every page's title (`SESAME_UI_PRODUCT_NAME`). */
  readonly productName: string;
  /** Every text a page shows: the English catalogue with the deployer's texts over it. */
  readonly messages: Messages;
  /** The stylesheet's text: Sesame's own, or the deployer's (`SESAME_UI_STYLESHEET`). */
  readonly stylesheet: string;
  /**
   * Whether the forgotten-password pages are served: only when reset tokens leave by email or
   * webhook. With `response` delivery the token would be shown to whoever asks, so no page offers it.
   */
  readonly hasPasswordReset: boolean;
  /** The password rule the forms describe (the core enforces it). */
  readonly passwordMinLength: number;
}
