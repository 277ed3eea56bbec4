/**
 * The pages' one stylesheet, served from /ui/ with a name that changes with its content (so a
 * browser may keep it for a year). A deployer restyles the pages by replacing it whole with a
 * file of their own (`SESAME_UI_STYLESHEET`). Colours meet WCAG 2.2 AA: text at least 4.5:1
 * against its background and controls' borders and focus rings at least 3:1, in light and dark.
 */
export const STYLESHEET = `:root{color-scheme:light dark;--bg:#fff;--panel:#f5f6f8;--text:#1b1d21;--muted:#4d535c;--line:#767c85;--accent:#0b57d0;--on-accent:#fff;--bad:#a4241c;--bad-bg:#fdeceb;--good:#1e6b34;--good-bg:#e7f4ea}
@media (prefers-color-scheme:dark){:root{--bg:#131416;--panel:#1e2024;--text:#e9eaec;--muted:#b4b8bf;--line:#8d939c;--accent:#8ab4f8;--on-accent:#0a1a33;--bad:#f4b8b3;--bad-bg:#3a1a18;--good:#a8dab5;--good-bg:#16311f}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{font:100%/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
body{margin:0;min-height:100vh;display:flex;flex-direction:column}
a{color:var(--accent);text-underline-offset:.15em}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999rem;top:.5rem;padding:.5rem 1rem;background:var(--bg);border-radius:.4rem}
.skip:focus{left:.5rem;z-index:1}
header,main,footer{width:100%;max-width:34rem;margin:0 auto;padding:1rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
header .product{font-weight:700;font-size:1.1rem;color:var(--text);text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0;align-items:center}
main{flex:1}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:2rem 0 .75rem}
form{margin:0 0 1rem}
form.inline{margin:0}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=email],input[type=password],input[type=text],select{display:block;width:100%;font:inherit;padding:.6rem .7rem;border:2px solid var(--line);border-radius:.4rem;background:var(--bg);color:var(--text)}
input[aria-invalid=true]{border-color:var(--bad)}
.hint{color:var(--muted);font-size:.9rem;margin:.25rem 0 0}
button{font:inherit;font-weight:600;margin-top:1.25rem;padding:.6rem 1.2rem;border:2px solid var(--accent);border-radius:.4rem;background:var(--accent);color:var(--on-accent);cursor:pointer;min-height:2.75rem}
button.secondary{background:transparent;color:var(--accent)}
nav button,.inline button{margin:0;padding:.2rem .6rem;min-height:2.25rem}
.alert,.notice{border-radius:.4rem;padding:.75rem 1rem;margin:0 0 1rem;border-left:.35rem solid}
.alert{background:var(--bad-bg);color:var(--bad);border-color:var(--bad)}
.notice{background:var(--good-bg);color:var(--good);border-color:var(--good)}
.alert h2{font-size:1rem;margin:0 0 .25rem}
.alert p,.notice p{margin:0}
.links{margin:1.5rem 0 0;padding:0;list-style:none}
.links li{margin:.4rem 0}
.sessions{list-style:none;margin:0;padding:0}
.sessions li{background:var(--panel);border-radius:.4rem;padding:.75rem 1rem;margin:0 0 .5rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
.sessions .what{margin:0}
.sessions .when{color:var(--muted);font-size:.9rem;margin:0}
.badge{font-size:.85rem;font-weight:700}
bdi{overflow-wrap:anywhere}
.unseen{font:700 .8em ui-monospace,monospace;color:var(--bad);border:1px solid;border-radius:.2rem;padding:0 .1em;margin:0 .1em}
.actions{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:1rem 0}
.actions form{margin:0}
footer{color:var(--muted);font-size:.85rem}
@media (max-width:30rem){h1{font-size:1.4rem}button{width:100%}nav button,.inline button{width:auto}}
`;
