// A tiny XML reader for editing libvirt domain XML in place. It does not rebuild documents: it only finds where
// each element starts and ends in the original string, so an edit is a splice and every byte outside the edited
// spans (comments, quoting style, attribute order, blank lines) stays as the operator wrote it.
export interface XmlElement {
  name: string;
  attrs: Map<string, string>; // decoded values
  start: number; // index of "<"
  openEnd: number; // index just after the start tag's ">"
  closeStart: number; // index of "</name>" (== openEnd for <x/>)
  end: number; // index just after the element
  selfClosing: boolean;
  children: XmlElement[];
  parent: XmlElement | null;
}

export class XmlSyntaxError extends Error {}

const NAME = /[A-Za-z_][-\w.:]*/y;
const ATTR = /\s+([A-Za-z_][-\w.:]*)\s*=\s*("[^"<]*"|'[^'<]*')/y;

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e] as string;
  });
}

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

function skipPast(xml: string, from: number, token: string, what: string): number {
  const i = xml.indexOf(token, from);
  if (i < 0) throw new XmlSyntaxError(`unterminated ${what} at offset ${from}`);
  return i + token.length;
}

// Parses the whole document and returns its root element (the one element at top level).
export function parseXml(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) i = skipPast(xml, lt + 4, '-->', 'comment');
    else if (xml.startsWith('<![CDATA[', lt)) i = skipPast(xml, lt + 9, ']]>', 'CDATA section');
    else if (xml.startsWith('<?', lt)) i = skipPast(xml, lt + 2, '?>', 'processing instruction');
    else if (xml.startsWith('<!', lt)) i = skipPast(xml, lt + 2, '>', 'declaration');
    else if (xml.startsWith('</', lt)) {
      NAME.lastIndex = lt + 2;
      const m = NAME.exec(xml);
      const top = stack.pop();
      if (!m || !top || top.name !== m[0])
        throw new XmlSyntaxError(
          `unexpected </${m?.[0] ?? '?'}> at offset ${lt}${top ? ` (open: <${top.name}>)` : ''}`,
        );
      const gt = xml.indexOf('>', lt);
      if (gt < 0 || xml.slice(lt + 2 + m[0].length, gt).trim() !== '')
        throw new XmlSyntaxError(`bad end tag at offset ${lt}`);
      top.closeStart = lt;
      top.end = gt + 1;
      i = gt + 1;
    } else {
      NAME.lastIndex = lt + 1;
      const m = NAME.exec(xml);
      if (!m) throw new XmlSyntaxError(`bad "<" at offset ${lt}`);
      const attrs = new Map<string, string>();
      let p = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = p;
        const a = ATTR.exec(xml);
        if (!a) break;
        attrs.set(a[1] as string, decodeEntities((a[2] as string).slice(1, -1)));
        p = ATTR.lastIndex;
      }
      const rest = /\s*(\/?)>/y;
      rest.lastIndex = p;
      const r = rest.exec(xml);
      if (!r) throw new XmlSyntaxError(`bad start tag <${m[0]}> at offset ${lt}`);
      const parent = stack[stack.length - 1] ?? null;
      const el: XmlElement = {
        name: m[0],
        attrs,
        start: lt,
        openEnd: rest.lastIndex,
        closeStart: rest.lastIndex,
        end: rest.lastIndex,
        selfClosing: r[1] === '/',
        children: [],
        parent,
      };
      if (parent) parent.children.push(el);
      else if (root) throw new XmlSyntaxError(`second root element <${m[0]}> at offset ${lt}`);
      else root = el;
      if (!el.selfClosing) stack.push(el);
      i = rest.lastIndex;
    }
  }
  if (stack.length) throw new XmlSyntaxError(`<${stack[stack.length - 1]?.name}> is never closed`);
  if (!root) throw new XmlSyntaxError('no root element');
  return root;
}

export function child(
  el: XmlElement,
  name: string,
  pred: (e: XmlElement) => boolean = () => true,
): XmlElement | undefined {
  return el.children.find((c) => c.name === name && pred(c));
}

export function textOf(xml: string, el: XmlElement): string {
  return decodeEntities(xml.slice(el.openEnd, el.closeStart));
}

// The whitespace that starts the line an element sits on ("" when something else precedes it on that line).
export function lineIndent(xml: string, at: number): string {
  const nl = xml.lastIndexOf('\n', at - 1);
  const lead = xml.slice(nl + 1, at);
  return /^[ \t]*$/.test(lead) ? lead : '';
}

// Indentation for a new child of `el`: copied from its first child element, else the parent's plus two spaces.
export function childIndent(xml: string, el: XmlElement): string {
  const first = el.children[0];
  if (first) return lineIndent(xml, first.start);
  return lineIndent(xml, el.start) + '  ';
}

// The span to delete to remove an element together with its own line (leading indent and trailing newline), when
// it sits alone on that line; otherwise exactly the element.
export function lineSpan(xml: string, el: XmlElement): [number, number] {
  const indent = lineIndent(xml, el.start);
  const lineStart = el.start - indent.length;
  const lineIsOwn = (lineStart === 0 || xml[lineStart - 1] === '\n') && /^[ \t]*(\r?\n|$)/.test(xml.slice(el.end));
  if (!lineIsOwn) return [el.start, el.end];
  const after = /^[ \t]*(\r?\n)?/.exec(xml.slice(el.end))?.[0] ?? '';
  return [lineStart, el.end + after.length];
}

export interface Splice {
  from: number;
  to: number;
  text: string;
}

// Applies non-overlapping splices; inserts at the same offset keep the order they were given in.
export function applySplices(xml: string, splices: Splice[]): string {
  const ordered = splices.map((s, n) => ({ ...s, n })).sort((a, b) => a.from - b.from || a.n - b.n);
  let out = '';
  let pos = 0;
  for (const s of ordered) {
    if (s.from < pos) throw new Error(`overlapping XML edits at offset ${s.from}`);
    out += xml.slice(pos, s.from) + s.text;
    pos = s.to;
  }
  return out + xml.slice(pos);
}
