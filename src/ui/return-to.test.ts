import { describe, expect, it } from 'vitest';
import { allowedReturnTo } from './return-to.js';

const trusted = new Set(['https://app.example.com', 'http://localhost:3000']);

describe('allowedReturnTo', () => {
  it('honours the pages of Sesame and the trusted origins', () => {
    expect(allowedReturnTo('/ui/account', trusted)).toBe('/ui/account');
    expect(allowedReturnTo('/ui/account?tab=sessions', trusted)).toBe('/ui/account?tab=sessions');
    expect(allowedReturnTo('https://app.example.com/welcome?x=1', trusted)).toBe('https://app.example.com/welcome?x=1');
    expect(allowedReturnTo('http://localhost:3000/', trusted)).toBe('http://localhost:3000/');
  });

  it.each([
    ['', 'nothing'],
    ['//evil.example', 'a scheme-relative URL'],
    ['/\\evil.example', 'a backslash that browsers read as a slash'],
    ['/ui/\\\\evil.example', 'backslashes inside the path'],
    ['/ui//evil.example', 'a double slash inside the path'],
    ['/ui/../profile', 'a path climbing out of /ui/'],
    ['/ui/%2e%2e/profile', 'an encoded climb'],
    ['/profile', 'a path of Sesame outside the pages'],
    ['/ui/account\n', 'a control character'],
    ['/ui/ account', 'a space'],
    ['https://evil.example/', 'an untrusted origin'],
    ['https://app.example.com.evil.example/', 'a trusted origin as a prefix'],
    ['https://user@app.example.com/', 'credentials in the URL'],
    ['http://app.example.com/', 'a trusted host over the wrong scheme'],
    ['javascript:alert(1)', 'a javascript: URL'],
    ['data:text/html,<script>alert(1)</script>', 'a data: URL'],
    ['https:evil.example', 'a scheme without slashes'],
    ['\\\\evil.example', 'two backslashes'],
    [' https://app.example.com/', 'leading space'],
  ])('refuses %j (%s)', (value) => {
    expect(allowedReturnTo(value, trusted)).toBeNull();
  });
});
