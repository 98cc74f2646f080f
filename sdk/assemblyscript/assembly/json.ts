// JSON for handlers: a validating checker, a lazy reader over UTF-8 in linear memory, correctly
// rounded numbers both ways (the same algorithm as the C SDK, so both write what Python writes),
// and a growable UTF-8 writer. Nothing here allocates until a value is asked for.

export const MAX_DEPTH: i32 = 128;

// ------------------------------------------------------------------------------------------
// Validation

/** Byte offset of the last checkJson error. */
export let errorOffset: u32 = 0;

const depthStack = memory.data(MAX_DEPTH);

function ws(p: usize, end: usize): usize {
  while (p < end) {
    const c = load<u8>(p);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
    p++;
  }
  return p;
}

function hex(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  if (c >= 0x61 && c <= 0x66) return <i32>c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return <i32>c - 0x41 + 10;
  return -1;
}

function hex4(p: usize): i32 {
  const a = hex(load<u8>(p)), b = hex(load<u8>(p + 1)), c = hex(load<u8>(p + 2));
  const d = hex(load<u8>(p + 3));
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

/** Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
export function utf8Length(p: usize, end: usize): u32 {
  const c = <u32>load<u8>(p);
  let lo: u32 = 0x80, hi: u32 = 0xbf, n: u32;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else return 0;
  if (<u32>(end - p) < n) return 0;
  const c1 = <u32>load<u8>(p + 1);
  if (c1 < lo || c1 > hi) return 0;
  for (let i: u32 = 2; i < n; i++) if ((<u32>load<u8>(p + i) & 0xc0) != 0x80) return 0;
  return n;
}

// Per byte: 1 = plain in a string (printable ASCII but " and \\), 2 = anything but " and \\,
// 4 = a quote or a bracket (what skipping a container stops at).
const CLASS: StaticArray<u8> = [
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  3, 3, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 7, 0, 7, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 7, 3, 7, 3, 3,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
];

let scan: usize = 0; // the checker's position, shared by its helpers

function checkString(end: usize): string | null {
  let p = scan + 1;
  while (true) {
    while (p < end && (unchecked(CLASS[load<u8>(p)]) & 1)) p++;
    if (p >= end) {
      scan = p;
      return "unterminated string";
    }
    const c = <u32>load<u8>(p);
    if (c == 0x22) break;
    if (c < 0x20) {
      scan = p;
      return "control character in a string (escape it)";
    }
    if (c == 0x5c) {
      if (p + 1 >= end) {
        scan = end;
        return "unterminated string";
      }
      const e = <u32>load<u8>(p + 1);
      if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
        p += 2;
        continue;
      }
      if (e != 0x75) {
        scan = p;
        return "invalid escape";
      }
      const u = end - p >= 6 ? hex4(p + 2) : -1;
      if (u < 0) {
        scan = p;
        return "\\u needs four hex digits";
      }
      if (u >= 0xdc00 && u <= 0xdfff) {
        scan = p;
        return "lone low surrogate escape";
      }
      if (u >= 0xd800 && u <= 0xdbff) {
        const v = end - p >= 12 && load<u8>(p + 6) == 0x5c && load<u8>(p + 7) == 0x75 ? hex4(p + 8) : -1;
        if (v < 0xdc00 || v > 0xdfff) {
          scan = p;
          return "high surrogate escape without its low surrogate";
        }
        p += 6;
      }
      p += 6;
      continue;
    }
    if (c < 0x80) {
      p++;
      continue;
    }
    const n = utf8Length(p, end);
    if (!n) {
      scan = p;
      return "invalid UTF-8";
    }
    p += n;
  }
  scan = p + 1;
  return null;
}

function isDigit(p: usize, end: usize): bool {
  if (p >= end) return false;
  const c = load<u8>(p);
  return c >= 0x30 && c <= 0x39;
}

function checkNumber(end: usize): string | null {
  let p = scan;
  if (load<u8>(p) == 0x2d) p++;
  if (!isDigit(p, end)) {
    scan = p;
    return "invalid number";
  }
  if (load<u8>(p) == 0x30) p++;
  else while (isDigit(p, end)) p++;
  if (p < end && load<u8>(p) == 0x2e) {
    p++;
    if (!isDigit(p, end)) {
      scan = p;
      return "invalid number";
    }
    while (isDigit(p, end)) p++;
  }
  if (p < end && (load<u8>(p) | 0x20) == 0x65) {
    p++;
    if (p < end && (load<u8>(p) == 0x2b || load<u8>(p) == 0x2d)) p++;
    if (!isDigit(p, end)) {
      scan = p;
      return "invalid number";
    }
    while (isDigit(p, end)) p++;
  }
  scan = p;
  return null;
}

function literal(end: usize, text: string): bool {
  const n = text.length;
  if (<i32>(end - scan) < n) return false;
  for (let i = 0; i < n; i++) if (<i32>load<u8>(scan + i) != text.charCodeAt(i)) return false;
  scan += n;
  return true;
}

const VALUE = 0, KEY = 1, AFTER = 2;

/**
 * null if [s, s + n) is one valid JSON value (RFC 8259, UTF-8, nesting <= MAX_DEPTH); else what
 * is wrong, with its byte offset in errorOffset. Iterative: no input can overflow the stack.
 */
export function checkJson(s: usize, n: u32): string | null {
  const end = s + n;
  let depth = 0, state = VALUE;
  let err: string | null = null;
  scan = s;
  while (err === null) {
    if (state == VALUE) {
      scan = ws(scan, end);
      if (scan >= end) {
        err = "expected a value";
        break;
      }
      const c = <u32>load<u8>(scan);
      if (c == 0x7b || c == 0x5b) {
        if (depth == MAX_DEPTH) {
          err = "nested deeper than 128 levels";
          break;
        }
        const object = c == 0x7b;
        store<u8>(depthStack + depth, object ? 1 : 0);
        depth++;
        scan = ws(scan + 1, end);
        if (scan < end && <u32>load<u8>(scan) == (object ? 0x7d : 0x5d)) {
          scan++;
          depth--;
          state = AFTER;
        } else state = object ? KEY : VALUE;
      } else if (c == 0x22) {
        err = checkString(end);
        state = AFTER;
      } else if (c == 0x74 || c == 0x66 || c == 0x6e) {
        if (!literal(end, c == 0x74 ? "true" : c == 0x66 ? "false" : "null")) {
          err = "invalid literal (true, false or null)";
        }
        state = AFTER;
      } else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) {
        err = checkNumber(end);
        state = AFTER;
      } else err = "unexpected character";
    } else if (state == KEY) {
      if (scan >= end || load<u8>(scan) != 0x22) {
        err = "expected a string key";
        break;
      }
      err = checkString(end);
      if (err !== null) break;
      scan = ws(scan, end);
      if (scan >= end || load<u8>(scan) != 0x3a) {
        err = "expected ':'";
        break;
      }
      scan++;
      state = VALUE;
    } else {
      scan = ws(scan, end);
      if (!depth) {
        if (scan != end) err = "unexpected text after the value";
        break;
      }
      const object = load<u8>(depthStack + depth - 1) == 1;
      if (scan < end && load<u8>(scan) == 0x2c) {
        scan = ws(scan + 1, end);
        state = object ? KEY : VALUE;
      } else if (scan < end && <u32>load<u8>(scan) == (object ? 0x7d : 0x5d)) {
        scan++;
        depth--;
      } else err = object ? "expected ',' or '}'" : "expected ',' or ']'";
    }
  }
  errorOffset = <u32>(scan - s);
  return err;
}

// ------------------------------------------------------------------------------------------
// Reading validated JSON

export enum Kind {
  Missing,
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

function skipString(p: usize): usize {
  p++;
  while (true) {
    while (unchecked(CLASS[load<u8>(p)]) & 2) p++;
    if (load<u8>(p) == 0x22) return p + 1;
    p += 2; // a backslash and the character it escapes
  }
}

/** The end of the value at p (validated text; end bounds a top-level scalar). */
export function skipValue(p: usize, end: usize): usize {
  let c = load<u8>(p);
  if (c == 0x22) return skipString(p);
  if (c != 0x7b && c != 0x5b) {
    while (p < end) {
      c = load<u8>(p);
      if (c == 0x2c || c == 0x7d || c == 0x5d || c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) break;
      p++;
    }
    return p;
  }
  let depth = 0;
  while (true) {
    while (!(unchecked(CLASS[load<u8>(p)]) & 4)) p++;
    c = load<u8>(p);
    if (c == 0x22) {
      p = skipString(p);
      continue;
    }
    p++;
    if (c == 0x7b || c == 0x5b) depth++;
    else if (--depth == 0) return p;
  }
}

function hasBackslash(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (load<u8>(p + i) == 0x5c) return true;
  return false;
}

/** The string of the raw (quoted-less) JSON string text [p, p + n). */
export function decodeString(p: usize, n: u32): string {
  if (!hasBackslash(p, n)) return String.UTF8.decodeUnsafe(p, n);
  const out = __new(<usize>n << 1, idof<String>());
  let o = out;
  const end = p + n;
  while (p < end) {
    let c = <u32>load<u8>(p);
    if (c == 0x5c) {
      const e = <u32>load<u8>(p + 1);
      if (e == 0x75) {
        let cp = <u32>hex4(p + 2);
        if (cp >= 0xd800 && cp <= 0xdbff) {
          store<u16>(o, cp);
          o += 2;
          cp = <u32>hex4(p + 8);
          p += 6;
        }
        store<u16>(o, cp);
        o += 2;
        p += 6;
        continue;
      }
      c = e == 0x62 ? 8 : e == 0x66 ? 12 : e == 0x6e ? 10 : e == 0x72 ? 13 : e == 0x74 ? 9 : e;
      store<u16>(o, c);
      o += 2;
      p += 2;
      continue;
    }
    if (c < 0x80) {
      p++;
    } else if ((c & 0xe0) == 0xc0) {
      c = ((c & 0x1f) << 6) | (<u32>load<u8>(p + 1) & 0x3f);
      p += 2;
    } else if ((c & 0xf0) == 0xe0) {
      c = ((c & 0x0f) << 12) | ((<u32>load<u8>(p + 1) & 0x3f) << 6) | (<u32>load<u8>(p + 2) & 0x3f);
      p += 3;
    } else {
      c = ((c & 0x07) << 18) | ((<u32>load<u8>(p + 1) & 0x3f) << 12) | ((<u32>load<u8>(p + 2) & 0x3f) << 6) | (<u32>load<u8>(p + 3) & 0x3f);
      p += 4;
      c -= 0x10000;
      store<u16>(o, 0xd800 | (c >> 10));
      o += 2;
      c = 0xdc00 | (c & 0x3ff);
    }
    store<u16>(o, c);
    o += 2;
  }
  return changetype<string>(__renew(out, o - out));
}

/** Whether the raw JSON string text [p, p + n) holds exactly the string s. */
export function rawEquals(p: usize, n: u32, s: string): bool {
  const len = s.length;
  if (!hasBackslash(p, n)) {
    if (<u32>len > n) return false;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      if (<i32>load<u8>(p + i) != c) return false;
    }
    if (i == len) return <u32>len == n;
  }
  return decodeString(p, n) == s;
}

/** The JSON text of one value of the input or an event; len 0 means missing. */
export class Json {
  constructor(public ptr: usize = 0, public len: u32 = 0) {}

  get kind(): Kind {
    if (!this.len) return Kind.Missing;
    const c = load<u8>(this.ptr);
    if (c == 0x6e) return Kind.Null;
    if (c == 0x74 || c == 0x66) return Kind.Bool;
    if (c == 0x22) return Kind.String;
    if (c == 0x5b) return Kind.Array;
    if (c == 0x7b) return Kind.Object;
    return Kind.Number;
  }

  get missing(): bool {
    return !this.len;
  }

  /** The member key of an object (the last one if the key repeats); missing otherwise. */
  get(key: string): Json {
    const found = new Json();
    if (this.kind != Kind.Object) return found;
    const end = this.ptr + this.len - 1;
    let p = this.ptr + 1;
    while (true) {
      p = ws(p, end);
      if (p >= end) return found;
      if (load<u8>(p) == 0x2c) p = ws(p + 1, end);
      const close = skipString(p);
      const matches = rawEquals(p + 1, <u32>(close - p - 2), key);
      p = ws(ws(close, end) + 1, end);
      const valueEnd = skipValue(p, end);
      if (matches) {
        found.ptr = p;
        found.len = <u32>(valueEnd - p);
      }
      p = valueEnd;
    }
  }

  /** The items of an array (empty for anything else). */
  items(): Json[] {
    const out = new Array<Json>();
    if (this.kind != Kind.Array) return out;
    const end = this.ptr + this.len - 1;
    let p = this.ptr + 1;
    while (true) {
      p = ws(p, end);
      if (p >= end) return out;
      if (load<u8>(p) == 0x2c) p = ws(p + 1, end);
      const valueEnd = skipValue(p, end);
      out.push(new Json(p, <u32>(valueEnd - p)));
      p = valueEnd;
    }
  }

  /** The keys of an object, in order (empty for anything else). */
  keys(): string[] {
    const out = new Array<string>();
    if (this.kind != Kind.Object) return out;
    const end = this.ptr + this.len - 1;
    let p = this.ptr + 1;
    while (true) {
      p = ws(p, end);
      if (p >= end) return out;
      if (load<u8>(p) == 0x2c) p = ws(p + 1, end);
      const close = skipString(p);
      out.push(decodeString(p + 1, <u32>(close - p - 2)));
      p = ws(ws(close, end) + 1, end);
      p = skipValue(p, end);
    }
  }

  /** The index-th item of an array (missing when out of range). */
  at(index: i32): Json {
    const items = this.items();
    return index >= 0 && index < items.length ? items[index] : new Json();
  }

  /** The string, decoded; null if this is not a string. */
  str(): string | null {
    if (this.kind != Kind.String) return null;
    return decodeString(this.ptr + 1, this.len - 2);
  }

  /** Whether this is the string s (no decoding for ASCII). */
  is(s: string): bool {
    return this.kind == Kind.String && rawEquals(this.ptr + 1, this.len - 2, s);
  }

  /** The number (correctly rounded; huge exponents give +-Infinity), or fallback. */
  num(fallback: f64 = 0): f64 {
    if (this.kind != Kind.Number) return fallback;
    return parseNumber(this.ptr, this.ptr + this.len);
  }

  /** Whether this is a JSON integer (no fraction or exponent) that fits an i64. */
  get isInt(): bool {
    return this.kind == Kind.Number && parseInt64(this.ptr, this.len);
  }

  /** The integer (see isInt), or fallback. */
  int(fallback: i64 = 0): i64 {
    return this.isInt ? parsedInt : fallback;
  }

  /** true for JSON true, false for anything else. */
  bool(): bool {
    return this.len == 4 && load<u8>(this.ptr) == 0x74;
  }

  /** The JSON text itself. */
  text(): string {
    return String.UTF8.decodeUnsafe(this.ptr, this.len);
  }
}

let parsedInt: i64 = 0;

function parseInt64(ptr: usize, len: u32): bool {
  let p = ptr;
  const end = ptr + len;
  const neg = load<u8>(p) == 0x2d;
  if (neg) p++;
  const limit: u64 = neg ? 9223372036854775808 : 9223372036854775807;
  let n: u64 = 0;
  for (; p < end; p++) {
    const c = <u64>load<u8>(p);
    if (c < 0x30 || c > 0x39) return false;
    if (n > (limit - (c - 0x30)) / 10) return false;
    n = n * 10 + (c - 0x30);
  }
  parsedInt = neg ? <i64>(0 - n) : <i64>n;
  return true;
}

// ------------------------------------------------------------------------------------------
// Numbers: correctly rounded decimal <-> double, with a small bignum for the hard cases

const BIG_WORDS: u32 = 100; // 3,200 bits: the largest operand below needs about 2,700
const BIG_BYTES: i32 = 4 + 4 * 100;
const MAX_DIGITS: u32 = 780; // more significant digits only matter as a sticky last digit

const L0 = memory.data(BIG_BYTES, 4);
const P5 = memory.data(BIG_BYTES, 4);
const BL = memory.data(BIG_BYTES, 4);
const BR = memory.data(BIG_BYTES, 4);
const BH = memory.data(BIG_BYTES, 4);
const DIGITS = memory.data(MAX_DIGITS + 1);
const ALL = memory.data(800);
const CHUNKS = memory.data(90 * 4, 4);
const CANDIDATE = memory.data(20);

// @ts-ignore: decorator
@inline function bigN(b: usize): u32 {
  return load<u32>(b);
}
// @ts-ignore: decorator
@inline function bigW(b: usize, i: u32): u32 {
  return load<u32>(b + 4 + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function setW(b: usize, i: u32, v: u32): void {
  store<u32>(b + 4 + (<usize>i << 2), v);
}

function bigSet(b: usize, v: u64): void {
  let n: u32 = 0;
  while (v) {
    setW(b, n++, <u32>v);
    v >>= 32;
  }
  store<u32>(b, n);
}

function bigCopy(dst: usize, src: usize): void {
  memory.copy(dst, src, 4 + (<usize>bigN(src) << 2));
}

function bigMulAdd(b: usize, m: u32, a: u32): void {
  let carry: u64 = a;
  let n = bigN(b);
  for (let i: u32 = 0; i < n; i++) {
    const t = <u64>bigW(b, i) * m + carry;
    setW(b, i, <u32>t);
    carry = t >> 32;
  }
  if (carry && n < BIG_WORDS) {
    setW(b, n++, <u32>carry);
    store<u32>(b, n);
  }
}

const POW5: StaticArray<u32> = [1, 5, 25, 125, 625, 3125, 15625, 78125, 390625, 1953125, 9765625, 48828125, 244140625, 1220703125];

function bigPow5(b: usize, e: u32): void {
  for (; e >= 13; e -= 13) bigMulAdd(b, 1220703125, 0);
  if (e) bigMulAdd(b, POW5[e], 0);
}

function bigShl(b: usize, bits: u32): void {
  const n = bigN(b);
  if (!n) return;
  let words = bits >> 5;
  const s = bits & 31;
  if (n + words + 1 > BIG_WORDS) words = BIG_WORDS - n - 1; // unreachable by design
  setW(b, n + words, 0);
  for (let i = <i32>n - 1; i >= 0; i--) {
    const w = bigW(b, i);
    if (s) setW(b, i + words + 1, bigW(b, i + words + 1) | (w >> (32 - s)));
    setW(b, i + words, w << s);
  }
  for (let i: u32 = 0; i < words; i++) setW(b, i, 0);
  let m = n + words + 1;
  while (m && !bigW(b, m - 1)) m--;
  store<u32>(b, m);
}

function bigCmp(a: usize, b: usize): i32 {
  const n = bigN(a);
  if (n != bigN(b)) return n < bigN(b) ? -1 : 1;
  for (let i = <i32>n - 1; i >= 0; i--) {
    const x = bigW(a, i), y = bigW(b, i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

function bigDivmod(b: usize, d: u32): u32 {
  let rem: u64 = 0;
  let n = bigN(b);
  for (let i = <i32>n - 1; i >= 0; i--) {
    const cur = (rem << 32) | <u64>bigW(b, i);
    setW(b, i, <u32>(cur / d));
    rem = cur % d;
  }
  while (n && !bigW(b, n - 1)) n--;
  store<u32>(b, n);
  return <u32>rem;
}

const P10: StaticArray<f64> = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

let mOut: u64 = 0;
let kOut: i32 = 0;

/** v (positive, finite) = mOut * 2^kOut with mOut < 2^53 */
function decompose(v: f64): void {
  const bits = reinterpret<u64>(v);
  const frac = bits & ((<u64>1 << 52) - 1);
  const exp = <i32>(bits >> 52) & 0x7ff;
  mOut = exp ? frac | (<u64>1 << 52) : frac;
  kOut = exp ? exp - 1075 : -1074;
}

/** sign of (D * 10^e10) - (the midpoint between z and the next double up) */
function cmpMidpoint(e10: i32, z: f64): i32 {
  decompose(z);
  const b = 2 * mOut + 1; // < 2^54: multiply in two 27-bit halves
  bigCopy(BL, L0);
  bigCopy(BR, P5);
  bigCopy(BH, P5);
  bigMulAdd(BR, <u32>(b & 0x7ffffff), 0);
  bigMulAdd(BH, <u32>(b >> 27), 0);
  bigShl(BH, 27);
  const rn = bigN(BR), hn = bigN(BH);
  const n = hn > rn ? hn : rn;
  let carry: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const t = carry + <u64>(i < rn ? bigW(BR, i) : 0) + <u64>(i < hn ? bigW(BH, i) : 0);
    setW(BR, i, <u32>t);
    carry = t >> 32;
  }
  let m = n;
  if (carry && m < BIG_WORDS) setW(BR, m++, <u32>carry);
  store<u32>(BR, m);
  const el = e10, er = kOut - 1;
  if (el > er) bigShl(BL, <u32>(el - er));
  else if (er > el) bigShl(BR, <u32>(er - el));
  return bigCmp(BL, BR);
}

/** The double nearest to digits[0..nd) * 10^e10 (nd >= 1, no leading zero), ties to even. */
function decimalToDouble(digits: usize, nd: u32, e10: i32): f64 {
  if (<i32>nd + e10 > 310) return Infinity;
  if (<i32>nd + e10 <= -324) return 0.0;
  const used = nd < 19 ? nd : 19;
  let mant: u64 = 0;
  for (let i: u32 = 0; i < used; i++) mant = mant * 10 + <u64>(load<u8>(digits + i) - 0x30);
  if (nd <= 19 && mant <= (<u64>1 << 53) && e10 >= -22 && e10 <= 22) {
    return e10 < 0 ? <f64>mant / P10[-e10] : <f64>mant * P10[e10];
  }
  // an estimate within a few units in the last place, then exact comparisons
  let e = e10 + <i32>(nd - used);
  let z = <f64>mant;
  if (e > 0) {
    for (; e >= 22; e -= 22) z *= 1e22;
    z *= P10[e];
  } else {
    for (e = -e; e >= 22; e -= 22) z /= 1e22;
    z /= P10[e];
  }
  if (z > f64.MAX_VALUE) z = f64.MAX_VALUE;
  bigSet(L0, 0);
  let i: u32 = 0;
  while (i < nd) {
    let chunk: u32 = 0, scale: u32 = 1;
    for (let j = 0; j < 9 && i < nd; j++, i++) {
      chunk = chunk * 10 + <u32>(load<u8>(digits + i) - 0x30);
      scale *= 10;
    }
    bigMulAdd(L0, scale, chunk);
  }
  bigSet(P5, 1);
  if (e10 > 0) bigPow5(L0, <u32>e10);
  else bigPow5(P5, <u32>-e10);
  for (let step = 0; step < 2100; step++) {
    const odd = (reinterpret<u64>(z) & 1) != 0;
    const c = cmpMidpoint(e10, z);
    if (c > 0 || (c == 0 && odd)) {
      if (z == f64.MAX_VALUE) return Infinity;
      z = reinterpret<f64>(reinterpret<u64>(z) + 1);
      continue;
    }
    if (z == 0) break;
    const below = reinterpret<f64>(reinterpret<u64>(z) - 1);
    const d = cmpMidpoint(e10, below);
    if (d < 0 || (d == 0 && odd)) {
      z = below;
      continue;
    }
    break;
  }
  return z;
}

/** The number of the validated JSON number text [p, end). */
export function parseNumber(p: usize, end: usize): f64 {
  let nd: u32 = 0, e10: i32 = 0, exp: i32 = 0;
  let sticky = false;
  const neg = load<u8>(p) == 0x2d;
  if (neg) p++;
  for (; p < end && isDigit(p, end); p++) {
    const c = load<u8>(p);
    if (!nd && c == 0x30) continue;
    if (nd < MAX_DIGITS) store<u8>(DIGITS + nd++, c);
    else {
      e10++;
      sticky = sticky || c != 0x30;
    }
  }
  if (p < end && load<u8>(p) == 0x2e) {
    for (p++; isDigit(p, end); p++) {
      const c = load<u8>(p);
      if (!nd && c == 0x30) e10--;
      else if (nd < MAX_DIGITS) {
        store<u8>(DIGITS + nd++, c);
        e10--;
      } else sticky = sticky || c != 0x30;
    }
  }
  if (p < end && (load<u8>(p) | 0x20) == 0x65) {
    p++;
    const eneg = load<u8>(p) == 0x2d;
    if (load<u8>(p) == 0x2d || load<u8>(p) == 0x2b) p++;
    for (; isDigit(p, end); p++) if (exp < 100000000) exp = exp * 10 + <i32>(load<u8>(p) - 0x30);
    e10 += eneg ? -exp : exp;
  }
  if (!nd) return neg ? -0.0 : 0.0;
  if (sticky) {
    store<u8>(DIGITS + nd++, 0x31);
    e10--;
  } else {
    while (load<u8>(DIGITS + nd - 1) == 0x30) {
      nd--;
      e10++;
    }
  }
  const v = decimalToDouble(DIGITS, nd, e10);
  return neg ? -v : v;
}

let ceOut: i32 = 0;

/** ALL[0..p) rounded down or up into CANDIDATE, trailing zeros dropped; its length (ceOut
    adjusted so that the value is CANDIDATE * 10^ceOut). */
function candidate(p: u32, up: bool): u32 {
  const d = CANDIDATE;
  memory.copy(d, ALL, p);
  let nd = p;
  if (up) {
    let i = <i32>p - 1;
    for (; i >= 0; i--) {
      if (load<u8>(d + i) != 0x39) {
        store<u8>(d + i, load<u8>(d + i) + 1);
        break;
      }
      store<u8>(d + i, 0x30);
    }
    if (i < 0) { // 99.9 -> 100
      store<u8>(d, 0x31);
      ceOut++;
    }
  }
  while (nd > 1 && load<u8>(d + nd - 1) == 0x30) {
    nd--;
    ceOut++;
  }
  return nd;
}

/**
 * The shortest decimal that reads back as v (positive, finite, non-zero), the nearest of those,
 * written into buf as Python's repr writes it.
 */
function formatPositive(buf: Buf, v: f64): void {
  decompose(v);
  const k = kOut;
  bigSet(BL, mOut);
  let e10: i32 = 0;
  if (k >= 0) bigShl(BL, <u32>k);
  else {
    bigPow5(BL, <u32>-k);
    e10 = k;
  }
  let nc: u32 = 0;
  while (bigN(BL) && nc < 90) {
    store<u32>(CHUNKS + (<usize>nc << 2), bigDivmod(BL, 1000000000));
    nc++;
  }
  let na: u32 = 0;
  for (let i = <i32>nc - 1; i >= 0; i--) {
    let c = load<u32>(CHUNKS + (<usize>i << 2));
    for (let j = 8; j >= 0; j--) {
      store<u8>(CANDIDATE + j, 0x30 + c % 10);
      c /= 10;
    }
    for (let j = 0; j < 9; j++) {
      const d = load<u8>(CANDIDATE + j);
      if (na || d != 0x30) store<u8>(ALL + na++, d);
    }
  }
  // v = ALL[0..na) * 10^e10
  let nd: u32 = 0, point: i32 = 0;
  const d = CANDIDATE;
  for (let p: u32 = 1; p <= 17; p++) {
    if (na <= p) { // exact
      ceOut = e10;
      nd = candidate(na, false);
      point = ceOut + <i32>nd - 1;
      break;
    }
    const next = load<u8>(ALL + p);
    let up = next > 0x35;
    if (next == 0x35) {
      for (let i = p + 1; i < na && !up; i++) up = load<u8>(ALL + i) != 0x30;
      if (!up) up = ((load<u8>(ALL + p - 1) - 0x30) & 1) != 0;
    }
    // the nearest p digits first; at a power of two the other side may read back instead
    let found = false;
    for (let attempt = 0; attempt < 2 && !found; attempt++, up = !up) {
      ceOut = e10 + <i32>na - <i32>p;
      nd = candidate(p, up);
      found = (p == 17 && !attempt) || decimalToDouble(d, nd, ceOut) == v;
    }
    if (found) {
      point = ceOut + <i32>nd - 1; // v = d[0].d[1..] * 10^point
      break;
    }
  }
  if (point >= -4 && point < 16) {
    if (point < 0) {
      buf.ascii("0.");
      for (let i = -1; i > point; i--) buf.byte(0x30);
      buf.bytes(d, nd);
    } else {
      for (let i: u32 = 0; i <= <u32>point; i++) buf.byte(i < nd ? load<u8>(d + i) : 0x30);
      buf.byte(0x2e);
      if (nd > <u32>point + 1) buf.bytes(d + point + 1, nd - <u32>point - 1);
      else buf.byte(0x30);
    }
  } else {
    buf.byte(load<u8>(d));
    if (nd > 1) {
      buf.byte(0x2e);
      buf.bytes(d + 1, nd - 1);
    }
    buf.byte(0x65);
    buf.byte(point < 0 ? 0x2d : 0x2b);
    if (point < 0) point = -point;
    if (point >= 100) buf.byte(<u8>(0x30 + point / 100));
    buf.byte(<u8>(0x30 + (point / 10) % 10));
    buf.byte(<u8>(0x30 + point % 10));
  }
}

// ------------------------------------------------------------------------------------------
// Writing

/** A growable UTF-8 byte buffer in linear memory. */
export class Buf {
  ptr: usize = 0;
  len: u32 = 0;
  cap: u32 = 0;

  reserve(extra: u32): void {
    const need = <u64>this.len + extra;
    if (need <= <u64>this.cap) return;
    let cap = <u64>this.cap * 2;
    if (cap < need) cap = need;
    if (cap < 256) cap = 256;
    this.ptr = this.ptr ? heap.realloc(this.ptr, <usize>cap) : heap.alloc(<usize>cap);
    this.cap = <u32>cap;
  }

  byte(c: u32): void {
    if (this.len == this.cap) this.reserve(1);
    store<u8>(this.ptr + this.len++, <u8>c);
  }

  bytes(p: usize, n: u32): void {
    if (!n) return;
    this.reserve(n);
    memory.copy(this.ptr + this.len, p, n);
    this.len += n;
  }

  /** ASCII text as it is. */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(<u32>n);
    for (let i = 0; i < n; i++) store<u8>(this.ptr + this.len + i, <u8>s.charCodeAt(i));
    this.len += n;
  }

  /** A JSON string literal of s (a lone surrogate becomes \ufffd). */
  jsonString(s: string): void {
    const n = s.length;
    this.reserve(<u32>n * 3 + 2);
    this.byte(0x22);
    for (let i = 0; i < n; i++) {
      let c = <u32>s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c != 0x22 && c != 0x5c) {
          this.byte(c);
          continue;
        }
        this.byte(0x5c);
        if (c == 0x22 || c == 0x5c) this.byte(c);
        else if (c == 10) this.byte(0x6e);
        else if (c == 13) this.byte(0x72);
        else if (c == 9) this.byte(0x74);
        else if (c == 8) this.byte(0x62);
        else if (c == 12) this.byte(0x66);
        else {
          this.ascii("u00");
          this.byte(HEX.charCodeAt(c >> 4));
          this.byte(HEX.charCodeAt(c & 15));
        }
      } else if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const lo = i + 1 < n ? <u32>s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          this.byte(0xf0 | (c >> 18));
          this.byte(0x80 | ((c >> 12) & 0x3f));
          this.byte(0x80 | ((c >> 6) & 0x3f));
          this.byte(0x80 | (c & 0x3f));
          i++;
        } else this.ascii("\\ufffd");
      } else {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      }
    }
    this.byte(0x22);
  }

  /** A JSON number (null for NaN and infinities, which JSON cannot hold). */
  jsonNumber(v: f64): void {
    if (v != v || v - v != 0) this.ascii("null");
    else if (v == 0) this.ascii(reinterpret<u64>(v) >> 63 ? "-0.0" : "0.0");
    else {
      if (v < 0) this.byte(0x2d);
      formatPositive(this, v < 0 ? -v : v);
    }
  }

  int(v: i64): void {
    this.ascii(v.toString());
  }

  /** The buffer as the ABI's (ptr << 32) | len. */
  packed(): i64 {
    return <i64>((<u64>this.ptr << 32) | <u64>this.len);
  }
}

const HEX = "0123456789abcdef";
