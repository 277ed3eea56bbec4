import { html, type Html } from './html.js';

/** One labelled input of a form. */
export interface FieldOptions {
  readonly name: string;
  readonly label: string;
  readonly type: 'email' | 'password' | 'text';
  /** The autocomplete token that lets a password manager fill it in (WCAG 1.3.5). */
  readonly autocomplete: string;
  readonly value?: string | undefined;
  readonly hint?: string | undefined;
  /** The id of the error message that concerns this field: it is then marked invalid, described by it, and focused. */
  readonly errorId?: string | null;
  /**
   * The fewest characters a new password may have, for the browser to check first. It counts
   * UTF-16 units, never fewer than the core's code points, so it refuses nothing the core
   * would take (but a password NFKC lengthens, which the core counts after normalising).
   */
  readonly minLength?: number;
  readonly isRequired?: boolean;
  readonly isReadOnly?: boolean;
}

/**
 * A label and its input, the hint and any error tied to the input with aria-describedby, so a
 * screen reader reads them with the field; the field in error takes the focus on load (no
 * script needed), and its message is in a role=alert region (`alert`).
 */
export function field({ name, label, type, autocomplete, value, hint, errorId, minLength, isRequired = true, isReadOnly = false }: FieldOptions): Html {
  const id = `field-${name}`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ');
  return html`<label for="${id}">${label}</label><input id="${id}" name="${name}" type="${type}" autocomplete="${autocomplete}"${
    value === undefined || type === 'password' ? '' : html` value="${value}"`
  }${minLength === undefined ? '' : html` minlength="${minLength}"`}${isRequired ? html` required` : ''}${isReadOnly ? html` readonly` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${
    errorId ? html` aria-invalid="true" autofocus` : ''
  }>${hintId ? html`<p class="hint" id="${hintId}">${hint}</p>` : ''}`;
}

/** The id of a form's error message, for `field`'s `errorId`. */
export const ERROR_ID = 'form-error';

/**
 * After `failure`, the `errorId` of each of a form's `fields` (WCAG 3.3.1): the field the error
 * names when the form has it, else the first, the one an error naming none most likely concerns.
 */
export function errorIdsOf(failure: { readonly field: string | null } | null, fields: readonly [string, ...string[]]): (name: string) => string | null {
  if (failure === null) return () => null;
  const inError = failure.field !== null && fields.includes(failure.field) ? failure.field : fields[0];
  return (name) => (name === inError ? ERROR_ID : null);
}

/** A message a screen reader announces as soon as the page shows it. */
export function alert(heading: string, message: string | null): Html {
  return message === null ? html`` : html`<div class="alert" role="alert" id="${ERROR_ID}"><h2>${heading}</h2><p>${message}</p></div>`;
}

/** A confirmation after a redirect (POST-redirect-GET), announced politely. */
export function notice(message: string | null): Html {
  return message === null ? html`` : html`<div class="notice" role="status"><p>${message}</p></div>`;
}
