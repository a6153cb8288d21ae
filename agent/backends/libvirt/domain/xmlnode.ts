import { DomainXmlError } from './errors.js';

/** XmlAttrs are an element's attributes; undefined values are left out. */
export type XmlAttrs = Readonly<Record<string, string | number | undefined>>;

/** XmlNode is one element: a fixed name from code, escaped attributes and children. */
export interface XmlNode {
  readonly name: string;
  readonly attrs: XmlAttrs;
  readonly children: readonly XmlChild[];
}

/** XmlChild is an element or a text value (escaped when rendered). */
export type XmlChild = XmlNode | string | number;

// XML 1.0 forbids most C0 controls and lone surrogates even as character references.
const INVALID_XML_CHAR =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;
const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // whitespace as references, or attribute-value normalisation turns it into spaces
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** escapeXml makes any string safe as XML text or a quoted attribute value; rejects chars XML cannot hold. */
export function escapeXml(value: string): string {
  if (INVALID_XML_CHAR.test(value)) {
    throw new DomainXmlError(
      'invalid_xml_char',
      `Cannot escape ${JSON.stringify(value)}: XML cannot hold a control character`,
    );
  }
  return value.replace(/[&<>"'\n\r\t]/g, (c) => ESCAPES[c] ?? c);
}

/** el builds one element; names come from code only, so a bad one is a programming error. */
export function el(
  name: string,
  attrs: XmlAttrs = {},
  ...children: (XmlChild | null | undefined | false)[]
): XmlNode {
  if (!NAME_RE.test(name)) throw new TypeError(`Cannot build element: bad name ${JSON.stringify(name)}`);
  const kept = children.filter((c): c is XmlChild => c !== null && c !== undefined && c !== false);
  return { name, attrs, children: kept };
}

/** renderXml serialises a node tree with two-space indent, single-quoted attributes as libvirt writes them. */
export function renderXml(node: XmlNode, depth = 0): string {
  const pad = '  '.repeat(depth);
  const open = `${pad}<${node.name}${renderAttrs(node.attrs)}`;
  if (node.children.length === 0) return `${open}/>\n`;
  if (node.children.every((c) => typeof c !== 'object')) {
    return `${open}>${node.children.map((c) => escapeXml(String(c))).join('')}</${node.name}>\n`;
  }
  const inner = node.children
    .map((c) => (typeof c === 'object' ? renderXml(c, depth + 1) : `${pad}  ${escapeXml(String(c))}\n`))
    .join('');
  return `${open}>\n${inner}${pad}</${node.name}>\n`;
}

function renderAttrs(attrs: XmlAttrs): string {
  let out = '';
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    if (!NAME_RE.test(key)) throw new TypeError(`Cannot build attribute: bad name ${JSON.stringify(key)}`);
    out += ` ${key}='${escapeXml(String(value))}'`;
  }
  return out;
}
