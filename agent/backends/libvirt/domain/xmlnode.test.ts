import { describe, expect, it } from 'vitest';
import { el, escapeXml, renderXml } from './xmlnode.js';

describe('escapeXml', () => {
  it.each([
    ['plain', 'plain'],
    ['a<b>c', 'a&lt;b&gt;c'],
    ['&amp;', '&amp;amp;'],
    [`"it's"`, '&quot;it&apos;s&quot;'],
    [']]>', ']]&gt;'],
    ['a\nb\r\tc', 'a&#10;b&#13;&#9;c'],
    ['ünïcødé 🚀', 'ünïcødé 🚀'],
  ])('escapes %j as %j', (input, expected) => {
    expect(escapeXml(input)).toBe(expected);
  });

  it.each(['\u0000', 'a\u0001', '\u001f', '\ufffe', '\ud800x'])(
    'rejects %j with invalid_xml_char',
    (input) => {
      expect(() => escapeXml(input)).toThrow(expect.objectContaining({ code: 'invalid_xml_char' }));
    },
  );
});

describe('renderXml', () => {
  it('renders nested elements, text and attributes with single quotes, skipping absent ones', () => {
    const tree = el('a', { x: 1, y: undefined }, el('b', {}, 'hi & bye'), null, false, el('c', { z: "o'k" }));
    expect(renderXml(tree)).toBe("<a x='1'>\n  <b>hi &amp; bye</b>\n  <c z='o&apos;k'/>\n</a>\n");
  });

  it.each(['bad name', '1x', 'a>b', ''])('refuses element name %j', (name) => {
    expect(() => el(name)).toThrow(TypeError);
  });

  it('refuses a bad attribute name', () => {
    expect(() => renderXml(el('a', { 'x=1 y': 'v' }))).toThrow(TypeError);
  });
});
