/** Escaping in the HTML page (issue 6): report strings are data, never markup. */
import { describe, expect, it } from 'vitest';
import type { LeakReport } from '../../reports/report-schema';
import { escapeHtml, jsonForScript, renderHtml } from '../../reports/view-html';
import { buildViewModel } from '../../reports/view-model';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeHostileReport } = require('../fixtures/reports/make-report.js') as { makeHostileReport: () => LeakReport };

describe('HTML escaping', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&amp;`)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;',
    );
  });

  it('writes JSON that cannot end its <script> element and parses back the same', () => {
    const value = { s: '</script><!-- & \u2028 \u2029 >' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('puts no report string into the page unescaped, and allows only its own scripts', () => {
    // Stand-in chart library text: the page's structure is what is checked.
    const html = renderHtml(buildViewModel(makeHostileReport(), 'hostile.json'), {
      js: 'window.uPlot = function () {};',
      css: '.u-legend{}',
    });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('<b>');
    expect(html.match(/<script[\s>]/g)).toHaveLength(3);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    expect(csp).toMatch(/^default-src &#39;none&#39;; script-src &#39;sha256-[\w+/=]+&#39; &#39;sha256-[\w+/=]+&#39;;/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
  });
});
