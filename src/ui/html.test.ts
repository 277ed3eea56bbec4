import { describe, expect, it } from 'vitest';
import { html } from './html.js';
import { field } from './forms.js';

describe('html', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const hostile = `"><script>alert('x')</script>&`;
    expect(html`<p title="${hostile}">${hostile}</p>`.text).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>',
    );
  });

  it('keeps markup made by html, joins arrays and drops null, undefined and false', () => {
    const items = ['a<', 'b'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}${null}${undefined}${false}</ul>`.text).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
  });

  it('never writes a password back into a field', () => {
    const text = field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', value: 'secret' }).text;
    expect(text).not.toContain('secret');
  });

  it('marks a field in error invalid, describes it by the error and focuses it', () => {
    const text = field({ name: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: 'a@b', errorId: 'form-error', hint: 'h' }).text;
    expect(text).toContain('aria-invalid="true"');
    expect(text).toContain('aria-describedby="form-error field-email-hint"');
    expect(text).toContain('autofocus');
  });
});
