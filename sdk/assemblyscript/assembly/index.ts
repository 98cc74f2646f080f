// esruntime command handlers in AssemblyScript (WebAssembly handler ABI v1, no imports).
//
//   import { Handler, Manifest, Json, Event, Result, register } from "esruntime-sdk/assembly";
//   export * from "esruntime-sdk/assembly/abi";
//
//   class OpenThing extends Handler {
//     opened: bool = false;                        // a fresh handler per command
//     describe(m: Manifest): void {
//       m.command("open_thing", "1.0.0").reads("ThingOpened", ["thing_id"])
//         .binds("thing_id", "thing_id").emits("ThingOpened");
//     }
//     apply(e: Event): void { if (e.is("ThingOpened")) this.opened = true; }
//     handle(input: Json, r: Result): void {
//       const id = r.needString(input, "thing_id");  // rejects invalid_input if not
//       if (r.rejected) return;
//       if (this.opened) { r.reject("already_open", `thing ${id} is open`); return; }
//       r.emit("ThingOpened").putString("thing_id", id);
//     }
//   }
//   register(() => new OpenThing());
//
// Build with --runtime stub --use abort= (sdk/assemblyscript/build.mjs does): memory is a bump
// allocator that esr_init resets, so everything a command allocated is reclaimed at once and
// a handler object never outlives its command.

import { Buf, Json, Kind, checkJson, errorOffset, rawEquals, decodeString, skipValue, MAX_DEPTH } from "./json";

export { Json, Kind, Buf, MAX_DEPTH } from "./json";

export const SDK = "assemblyscript/0.1.0";

/** One replayed event: its envelope's fields. */
export class Event {
  /** The event's data object. */
  data: Json = new Json();
  /** The envelope's position (-1 when absent). */
  position: i64 = -1;
  /** The tags array. */
  tags: Json = new Json();
  typeText: Json = new Json();
  idText: Json = new Json();
  timestampText: Json = new Json();

  /** Whether the event's type is t (compared without decoding). */
  is(t: string): bool {
    return this.typeText.is(t);
  }

  get type(): string {
    return this.typeText.str() || "";
  }

  get id(): string {
    return this.idText.str() || "";
  }

  get timestamp(): string {
    return this.timestampText.str() || "";
  }
}

/** The manifest under construction in describe. */
export class Manifest {
  name: string = "";
  version: string = "";
  text: string | null = null;
  schemaJson: string | null = null;
  readsJson: Buf = new Buf();
  bindsJson: Buf = new Buf();
  emitsJson: Buf = new Buf();

  /** The command's name and semantic version ("transfer_funds", "1.2.0"). */
  command(name: string, version: string): Manifest {
    this.name = name;
    this.version = version;
    return this;
  }

  description(text: string): Manifest {
    this.text = text;
    return this;
  }

  /** An event type the handler replays, with its domain-id fields. */
  reads(type: string, domainIds: string[] = []): Manifest {
    const b = this.readsJson;
    if (b.len) b.byte(0x2c);
    b.ascii('{"type":');
    b.jsonString(type);
    b.ascii(',"domain_ids":[');
    for (let i = 0; i < domainIds.length; i++) {
      if (i) b.byte(0x2c);
      b.jsonString(domainIds[i]);
    }
    b.ascii("]}");
    return this;
  }

  /** An input field whose value binds a domain id ("source_account" -> "account_id"). */
  binds(inputField: string, domainId: string): Manifest {
    const b = this.bindsJson;
    if (b.len) b.byte(0x2c);
    b.jsonString(inputField);
    b.byte(0x3a);
    b.jsonString(domainId);
    return this;
  }

  /**
   * The command's input as JSON Schema text (an object, in the subset the runtime supports:
   * type, properties, required, enum, const, bounds, items, anyOf/oneOf). Test strategies
   * generate inputs from it and an upload checks it; text that is not JSON fails esr_describe.
   */
  inputSchema(json: string): Manifest {
    this.schemaJson = json;
    return this;
  }

  /** An event type the handler may emit. */
  emits(type: string): Manifest {
    const b = this.emitsJson;
    if (b.len) b.byte(0x2c);
    b.ascii('{"type":');
    b.jsonString(type);
    b.byte(0x7d);
    return this;
  }
}

/** What handle (or validate) decides: events to emit, or a rejection. */
export class Result {
  out: Buf = new Buf();
  code: string = "";
  message: string = "";
  misuse: string | null = null;
  events: i32 = 0;
  depth: i32 = 0;
  comma: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 2);
  array: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 2);
  isRejected: bool = false;
  validating: bool = false;

  /** Reject the command (the first rejection wins; a rejected command emits nothing). */
  reject(code: string, message: string): void {
    if (this.isRejected) return;
    this.isRejected = true;
    this.code = code;
    this.message = message;
  }

  get rejected(): bool {
    return this.isRejected;
  }

  /** The member key as a non-empty string, or a rejection: invalid_input
      "<key> must be a non-empty string". */
  needString(input: Json, key: string): string {
    const s = input.get(key).str();
    if (s === null || !s.length) {
      this.reject("invalid_input", key + " must be a non-empty string");
      return "";
    }
    return s;
  }

  /** The member key as a finite number, or a rejection: invalid_input "<key> must be a number". */
  needNumber(input: Json, key: string): f64 {
    const v = input.get(key);
    const d = v.num(NaN);
    if (v.kind != Kind.Number || d - d != 0) {
      this.reject("invalid_input", key + " must be a number");
      return 0;
    }
    return d;
  }

  private closeEvent(): void {
    for (; this.depth > 1; this.depth--) this.out.byte(this.array[this.depth] ? 0x5d : 0x7d);
    if (this.depth) this.out.ascii("}}");
    this.depth = 0;
  }

  /** Start emitting an event of this type; the put* methods then write its data's fields. */
  emit(type: string): Result {
    if (this.validating) {
      if (this.misuse === null) this.misuse = "emit was called in validate, which may only reject";
      return this;
    }
    this.closeEvent();
    this.out.ascii(this.events ? ',{"type":' : '{"ok":[{"type":');
    this.out.jsonString(type);
    this.out.ascii(',"data":{');
    this.events++;
    this.depth = 1;
    this.comma[1] = false;
    this.array[1] = false;
    return this;
  }

  private key(key: string | null): bool {
    if (!this.depth) {
      if (this.misuse === null) this.misuse = "put* was called before emit";
      return false;
    }
    if (this.comma[this.depth]) this.out.byte(0x2c);
    this.comma[this.depth] = true;
    if (!this.array[this.depth]) {
      if (key === null) {
        if (this.misuse === null) this.misuse = "a field of an object was written without a name";
        key = "";
      }
      this.out.jsonString(key);
      this.out.byte(0x3a);
    }
    return true;
  }

  // In arrays (after beginArray) the key is ignored: pass null.
  putString(key: string | null, value: string | null): Result {
    if (this.key(key)) {
      if (value === null) this.out.ascii("null");
      else this.out.jsonString(value);
    }
    return this;
  }

  putNumber(key: string | null, value: f64): Result {
    if (this.key(key)) this.out.jsonNumber(value);
    return this;
  }

  putInt(key: string | null, value: i64): Result {
    if (this.key(key)) this.out.int(value);
    return this;
  }

  putBool(key: string | null, value: bool): Result {
    if (this.key(key)) this.out.ascii(value ? "true" : "false");
    return this;
  }

  putNull(key: string | null): Result {
    if (this.key(key)) this.out.ascii("null");
    return this;
  }

  /** A value of the input or an event, copied as its JSON text (null when missing). */
  putJson(key: string | null, value: Json): Result {
    if (this.key(key)) {
      if (value.len) this.out.bytes(value.ptr, value.len);
      else this.out.ascii("null");
    }
    return this;
  }

  private begin(key: string | null, array: bool): Result {
    if (this.depth >= MAX_DEPTH) {
      if (this.misuse === null) this.misuse = "event data nested deeper than MAX_DEPTH";
      return this;
    }
    if (!this.key(key)) return this;
    this.out.byte(array ? 0x5b : 0x7b);
    this.depth++;
    this.comma[this.depth] = false;
    this.array[this.depth] = array;
    return this;
  }

  beginObject(key: string | null): Result {
    return this.begin(key, false);
  }

  beginArray(key: string | null): Result {
    return this.begin(key, true);
  }

  /** Close the innermost beginObject / beginArray. */
  end(): Result {
    if (this.depth <= 1) {
      if (this.misuse === null) this.misuse = "end without beginObject or beginArray";
      return this;
    }
    this.out.byte(this.array[this.depth] ? 0x5d : 0x7d);
    this.depth--;
    return this;
  }

  finish(validating: bool): i64 {
    if (this.misuse !== null) return errorBuffer("sdk_misuse", this.misuse!);
    if (this.isRejected) {
      const b = new Buf();
      b.ascii('{"rejected":{"code":');
      b.jsonString(this.code);
      b.ascii(',"message":');
      b.jsonString(this.message);
      b.ascii("}}");
      return b.packed();
    }
    if (validating) return 0;
    if (!this.events) {
      const b = new Buf();
      b.ascii('{"ok":[]}');
      return b.packed();
    }
    this.closeEvent();
    this.out.ascii("]}");
    return this.out.packed();
  }
}

/** A handler: describe is its manifest; a fresh object replays (apply) and decides (handle). */
export abstract class Handler {
  abstract describe(m: Manifest): void;

  /** Refuse bad input before anything is read (optional; it sees no state). */
  validate(input: Json, r: Result): void {}

  /** Fold one replayed event into this object (optional). */
  apply(event: Event): void {}

  abstract handle(input: Json, r: Result): void;
}

let factory: (() => Handler) | null = null;
let current: Handler | null = null;
let failure: i64 = 0;

/** Make this module's handler: factory builds a fresh one for every command. */
export function register(make: () => Handler): void {
  factory = make;
}

/** Report that the handler cannot go on (a corrupt history, say): the call ends in
    {"error": {code, message}}, which the host treats as a fault. */
export function fail(code: string, message: string): void {
  if (!failure) failure = errorBuffer(code, message);
}

function errorBuffer(code: string, message: string): i64 {
  const b = new Buf();
  b.ascii('{"error":{"code":');
  b.jsonString(code);
  b.ascii(',"message":');
  b.jsonString(message);
  b.ascii("}}");
  return b.packed();
}

function make(): Handler {
  if (factory === null) unreachable(); // register() was never called
  return factory!();
}

function handler(): Handler {
  if (current === null) current = make();
  return current!;
}

// ------------------------------------------------------------------------------------------
// What the exports in abi.ts call

function inMemory(ptr: i32, len: i32): bool {
  return len >= 0 && <u64><u32>ptr + <u64><u32>len <= (<u64>memory.size() << 16);
}

export function abiAlloc(size: i32): i32 {
  if (size < 0 || size > 0x3ffffff0) return 0;
  // Grow memory here, where failing can return 0: the stub allocator would trap instead.
  const probe = heap.alloc(0);
  heap.free(probe);
  const end = <u64>probe + <u64>size + 64;
  const have = <u64>memory.size() << 16;
  if (end > have) {
    if (end > 0xffffffff) return 0;
    if (memory.grow(<i32>((end - have + 0xffff) >> 16)) < 0) return 0;
  }
  return <i32>heap.alloc(<usize>size);
}

export function abiDescribe(): i64 {
  // Built afresh on every call (esr_init reclaims memory); the same bytes every time.
  const m = new Manifest();
  make().describe(m);
  const b = new Buf();
  b.ascii('{"abi":1,"name":');
  b.jsonString(m.name);
  b.ascii(',"version":');
  b.jsonString(m.version);
  if (m.text !== null) {
    b.ascii(',"description":');
    b.jsonString(m.text!);
  }
  if (m.schemaJson !== null) {
    const schema = String.UTF8.encode(m.schemaJson!);
    const at = changetype<usize>(schema);
    const wrong = checkJson(at, <u32>schema.byteLength);
    if (wrong !== null) {
      return errorBuffer("invalid_input_schema", `inputSchema: ${wrong!} at byte ${errorOffset}`);
    }
    b.ascii(',"input_schema":');
    b.bytes(at, <u32>schema.byteLength);
  }
  b.ascii(',"reads":[');
  b.bytes(m.readsJson.ptr, m.readsJson.len);
  b.ascii('],"input_domain_ids":{');
  b.bytes(m.bindsJson.ptr, m.bindsJson.len);
  b.ascii('},"emits":[');
  b.bytes(m.emitsJson.ptr, m.emitsJson.len);
  b.ascii('],"sdk":"' + SDK + '"}');
  return b.packed();
}

export function abiInit(): i64 {
  current = null; // before the reset: nothing may point into reclaimed memory
  failure = 0;
  __reset();
  current = make();
  return 0;
}

function frameError(message: string): i64 {
  return errorBuffer("bad_frame", message);
}

export function abiApply(ptr: i32, len: i32): i64 {
  if (!inMemory(ptr, len)) return errorBuffer("bad_buffer", "esr_apply: buffer outside memory");
  const start = <usize>ptr;
  const end = start + <usize>len;
  const h = handler();
  let p = start;
  while (p < end) {
    const at = <i32>(p - start);
    if (end - p < 4) return frameError(`the frame header at byte ${at} is cut short`);
    const n = load<u32>(p);
    p += 4;
    if (n > <u32>(end - p)) return frameError(`the frame at byte ${at} overruns its batch`);
    const err = checkJson(p, n);
    if (err !== null) {
      return frameError(`the event at byte ${at + 4} is not valid JSON: ${err} at byte ${errorOffset}`);
    }
    const event = envelope(p, p + n);
    if (event === null) return frameError(`the event at byte ${at + 4} has no string 'type' or no 'data'`);
    h.apply(event);
    if (failure) return failure;
    p += n;
  }
  return 0;
}

function envelope(p: usize, end: usize): Event | null {
  while (p < end && load<u8>(p) <= 0x20) p++;
  while (end > p && load<u8>(end - 1) <= 0x20) end--;
  if (p >= end || load<u8>(p) != 0x7b) return null;
  const e = new Event();
  let q = p + 1;
  end--; // the closing brace
  while (true) {
    while (q < end && load<u8>(q) <= 0x20) q++;
    if (q >= end) break;
    if (load<u8>(q) == 0x2c) {
      q++;
      while (load<u8>(q) <= 0x20) q++;
    }
    const keyStart = q + 1;
    q = skipValue(q, end);
    const keyLen = <u32>(q - 1 - keyStart);
    while (load<u8>(q) != 0x3a) q++;
    q++;
    while (load<u8>(q) <= 0x20) q++;
    const valueEnd = skipValue(q, end);
    const value = new Json(q, <u32>(valueEnd - q));
    if (rawEquals(keyStart, keyLen, "type")) e.typeText = value;
    else if (rawEquals(keyStart, keyLen, "data")) e.data = value;
    else if (rawEquals(keyStart, keyLen, "position")) e.position = value.int(-1);
    else if (rawEquals(keyStart, keyLen, "id")) e.idText = value;
    else if (rawEquals(keyStart, keyLen, "timestamp")) e.timestampText = value;
    else if (rawEquals(keyStart, keyLen, "tags")) e.tags = value;
    q = valueEnd;
  }
  if (e.typeText.kind != Kind.String || e.data.missing) return null;
  return e;
}

/** The input as a JSON object, or null with r holding the rejection. */
function input(ptr: i32, len: i32, r: Result): Json | null {
  failure = 0;
  if (!inMemory(ptr, len)) {
    r.misuse = "the input buffer is outside memory";
    return null;
  }
  const err = checkJson(<usize>ptr, <u32>len);
  if (err !== null) {
    r.reject("invalid_input", `command input is not valid JSON: ${err} at byte ${errorOffset}`);
    return null;
  }
  let p = <usize>ptr, end = p + <usize>len;
  while (load<u8>(p) <= 0x20) p++;
  while (load<u8>(end - 1) <= 0x20) end--;
  const value = new Json(p, <u32>(end - p));
  if (value.kind != Kind.Object) {
    r.reject("invalid_input", "command input must be a JSON object");
    return null;
  }
  return value;
}

export function abiValidate(ptr: i32, len: i32): i64 {
  const r = new Result();
  const value = input(ptr, len, r);
  if (value !== null) {
    r.validating = true;
    make().validate(value, r); // validate sees no state: a handler of its own
  }
  if (failure) return failure;
  return r.finish(true);
}

export function abiHandle(ptr: i32, len: i32): i64 {
  const r = new Result();
  const value = input(ptr, len, r);
  if (value !== null) {
    const h = handler();
    r.validating = true;
    h.validate(value, r);
    r.validating = false;
    if (!r.rejected && r.misuse === null && !failure) h.handle(value, r);
  }
  if (failure) return failure;
  return r.finish(false);
}

// Re-exported for handlers that read raw text.
export { decodeString };
