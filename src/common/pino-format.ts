// One log line exactly as pino 10 writes it with memshim's options (no serializers beyond its defaults, no
// redaction, no mixin, epoch time), so that what reads memshim's logs (log shippers, pino-pretty, the tests)
// sees what pino wrote before: {"level":30,"time":1700000000000,"memshimPid":1,"name":"memshim",...,"msg":"..."}.
// The rules below are pino's lib/tools.js (asJson, asChindings, asString); test/common/log.test.ts compares the
// two over every kind of value. What pino does that memshim never asks for is left out: an Error as the first
// argument or under `err` (memshim logs messages and plain fields), printf-style arguments after the message.

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * A string as JSON the way pino writes it: short strings without control characters get only `"` and `\`
 * escaped (lone surrogates stay as they are); the rest, and every string on Node 25 and later, JSON.stringify.
 */
function pinoString(text: string): string {
  if (NODE_MAJOR >= 25 || text.length > 100) return JSON.stringify(text);
  let result = '';
  let last = 0;
  let found = false;
  let point = 255;
  for (let i = 0; i < text.length && point >= 32; i++) {
    point = text.charCodeAt(i);
    if (point === 34 || point === 92) {
      result += `${text.slice(last, i)}\\`;
      last = i;
      found = true;
    }
  }
  result = found ? result + text.slice(last) : text;
  return point < 32 ? JSON.stringify(text) : `"${result}"`;
}

/** An object's JSON; for one JSON.stringify cannot take (a cycle), pino's last resort (memshim logs no cycles). */
function pinoJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return '"[unable to serialize, circular reference is too complex to analyze]"';
  }
}

/** A field's value, or undefined when pino leaves the field out (undefined, a function, a symbol). */
function pinoValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return String(value);
    case 'string':
      return pinoString(value);
    case 'bigint':
      return String(value);
    default:
      return pinoJson(value);
  }
}

const chindingsCache = new WeakMap<object, string>();

/** The logger's own fields (pino's "chindings"), each value through JSON.stringify as pino does. */
function chindings(bindings: Readonly<Record<string, unknown>>): string {
  let text = chindingsCache.get(bindings);
  if (text === undefined) {
    text = '';
    for (const [key, value] of Object.entries(bindings)) {
      const json = value === undefined ? undefined : pinoJson(value);
      if (json !== undefined) text += `,${pinoString(key)}:${json}`;
    }
    chindingsCache.set(bindings, text);
  }
  return text;
}

/** One line, with its newline: level number, time, the logger's fields, the event's fields, the message. */
export function pinoLine(
  level: number,
  time: number,
  bindings: Readonly<Record<string, unknown>>,
  fields: object | null,
  message: string | undefined,
): string {
  let line = `{"level":${level},"time":${time}${chindings(bindings)}`;
  if (fields !== null) {
    for (const key in fields) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
      const value = pinoValue((fields as Record<string, unknown>)[key]);
      if (value !== undefined) line += `,${pinoString(key)}:${value}`;
    }
  }
  if (message !== undefined) line += `,"msg":${pinoString(message)}`;
  return `${line}}\n`;
}
