/*
 * esruntime.h - esruntime command handlers in C (WebAssembly handler ABI v1).
 *
 * One header, no libc, no imports: the module it builds exports exactly what docs/abi.md asks for
 * (memory, esr_abi_version, esr_alloc, esr_describe, esr_init, esr_apply, esr_handle and, when
 * the handler validates, esr_validate). A handler is four functions and one line:
 *
 *     #include "esruntime.h"
 *
 *     static struct { int opened; } state;              // zeroed by every esr_init
 *
 *     static void describe(esr_manifest *m) {
 *         esr_command(m, "open_thing", "1.0.0");
 *         esr_reads(m, "ThingOpened", "thing_id");      // domain ids: "a,b" for several
 *         esr_binds(m, "thing_id", "thing_id");         // input field -> domain id
 *         esr_emits(m, "ThingOpened");
 *         esr_input_schema(m, "{\"type\":\"object\",\"properties\":"   // optional
 *                             "{\"thing_id\":{\"type\":\"string\"}},\"required\":[\"thing_id\"]}");
 *     }
 *     static void apply(const esr_event *e) { state.opened |= esr_is(e->type, "ThingOpened"); }
 *     static void handle(esr_val input, esr_result *r) {
 *         esr_str id = esr_need_str(r, input, "thing_id");  // rejects invalid_input if not
 *         if (esr_rejected(r)) return;
 *         if (state.opened) { esr_reject(r, "already_open", "thing %S is open", id); return; }
 *         esr_emit(r, "ThingOpened");
 *         esr_put_str(r, "thing_id", id);
 *     }
 *     ESR_HANDLER(state, describe, apply, handle)
 *
 * ESR_HANDLER_WITH_VALIDATE(state, describe, validate, apply, handle) also exports esr_validate
 * (a check of the input before any event is read; handle runs it too).
 *
 * Memory: a bump allocator over the linear memory, reset by esr_init. Everything the SDK hands
 * out (decoded strings, values pointing into event frames, map entries) stays valid until the
 * command ends, so state may keep esr_str slices of events without copying them.
 *
 * JSON: input and every event frame are validated in full first (RFC 8259: UTF-8, escapes,
 * surrogate pairs, nesting at most ESR_MAX_DEPTH), then read lazily: an esr_val is the text of
 * one value, esr_get finds a member (the last one when a key repeats), esr_string decodes a
 * string (no copy unless it has escapes), esr_to_double is correctly rounded. Malformed input
 * becomes the rejection invalid_input; a malformed frame an error (a fault for the host).
 *
 * Build: python sdk/c/build.py handler.c -o handler.wasm (zig cc or clang + wasm-ld).
 */
#ifndef ESRUNTIME_H
#define ESRUNTIME_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm32__)
#error "esruntime.h builds WebAssembly handlers: compile with --target=wasm32 (sdk/c/build.py)"
#endif
#if !defined(__wasm_bulk_memory__) && !defined(__wasm_bulk_memory_opt__)
#error "compile with -mbulk-memory: the SDK copies and fills memory with memory.copy/fill"
#endif

#ifndef ESR_MAX_DEPTH
#define ESR_MAX_DEPTH 128 /* JSON nesting accepted in input and events, and written by handlers */
#endif
#define ESR_SDK "c/0.1.0"

#define ESR_API static __attribute__((unused))
#define ESR__EXPORT(name) __attribute__((export_name(name), visibility("default")))
#define ESR__STR2(x) #x
#define ESR__STR(x) ESR__STR2(x)

/* ------------------------------------------------------------------------------------------ */
/* Types                                                                                      */

/** UTF-8 text (not NUL-terminated). ptr is NULL when a value was missing or not a string. */
typedef struct {
    const char *ptr;
    uint32_t len;
} esr_str;

/** The JSON text of one value of the input or an event; len 0 means missing. */
typedef struct {
    const char *ptr;
    uint32_t len;
} esr_val;

typedef enum {
    ESR_MISSING,
    ESR_NULL,
    ESR_BOOL,
    ESR_NUMBER,
    ESR_STRING,
    ESR_ARRAY,
    ESR_OBJECT
} esr_kind;

/** One replayed event: its envelope's fields (position -1 and empty strings when absent). */
typedef struct {
    esr_str type;
    esr_val data;
    int64_t position;
    esr_str id;
    esr_str timestamp;
    esr_val tags;
} esr_event;

/** Iterates over an array's items or an object's members. */
typedef struct {
    const char *p, *end;
} esr_iter;

/** A growable byte buffer in the command's heap. */
typedef struct {
    char *ptr;
    uint32_t len, cap;
} esr_buf;

/** What handle (or validate) decides: events to emit, or a rejection. */
typedef struct {
    esr_buf out;
    esr_buf message;
    const char *code;
    const char *misuse;
    uint32_t events, depth;
    uint8_t comma[ESR_MAX_DEPTH + 2], array[ESR_MAX_DEPTH + 2];
    int rejected, validating;
} esr_result;

/** The manifest under construction in describe. */
typedef struct {
    esr_buf reads, binds, emits;
    const char *name, *version, *description, *input_schema;
} esr_manifest;

/** A hash map from strings to fixed-size values, in the command's heap. Zero is empty. */
typedef struct {
    uint32_t count, cap, value_size;
    char *slots;
} esr_map;

/* ------------------------------------------------------------------------------------------ */
/* Memory                                                                                     */

extern unsigned char __heap_base;
static uintptr_t esr__top, esr__floor;
static int esr__oom;
static esr_buf esr__failure; /* an {"error": ...} set by esr_fail */

static uintptr_t esr__heap_floor(void) {
    if (!esr__floor) esr__floor = ((uintptr_t)&__heap_base + 7u) & ~(uintptr_t)7u;
    return esr__floor;
}

/** size bytes (8-aligned) that live until the next esr_init; NULL when memory cannot grow. */
ESR_API void *esr_malloc(uint32_t size) {
    uint64_t start, end, have;
    if (!esr__top) esr__top = esr__heap_floor();
    start = esr__top;
    end = (start + (uint64_t)size + 7u) & ~(uint64_t)7u;
    have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
    if (end > have) {
        if (end >= 0x100000000ull ||
            __builtin_wasm_memory_grow(0, (size_t)((end - have + 65535u) >> 16)) == (size_t)-1) {
            esr__oom = 1;
            return 0;
        }
    }
    esr__top = (uintptr_t)end;
    return (void *)(uintptr_t)start;
}

static int esr__in_memory(int32_t ptr, int32_t len) {
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
    return len >= 0 && (uint64_t)(uint32_t)ptr + (uint32_t)len <= have;
}

static int esr__memeq(const char *a, const char *b, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static uint32_t esr__strlen(const char *s) {
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* Strings                                                                                    */

ESR_API esr_str esr_cstr(const char *s) {
    esr_str r;
    r.ptr = s;
    r.len = esr__strlen(s);
    return r;
}

/** Whether two strings hold the same bytes. */
ESR_API int esr_str_eq(esr_str a, esr_str b) {
    return a.len == b.len && esr__memeq(a.ptr, b.ptr, a.len);
}

/** Whether s is the text of the C string lit (esr_is(e->type, "SentFunds")). */
ESR_API int esr_is(esr_str s, const char *lit) {
    uint32_t i;
    if (!s.ptr) return 0;
    for (i = 0; i < s.len; i++)
        if (!lit[i] || s.ptr[i] != lit[i]) return 0;
    return lit[s.len] == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Growable buffers                                                                           */

/** Room for extra more bytes; 0 (and the out-of-memory flag) if memory cannot grow. */
ESR_API int esr_buf_reserve(esr_buf *b, uint32_t extra) {
    uint64_t need = (uint64_t)b->len + extra, cap;
    char *fresh;
    if (need <= b->cap) return 1;
    cap = (uint64_t)b->cap * 2;
    if (cap < need) cap = need;
    if (cap < 256) cap = 256;
    cap = (cap + 7u) & ~(uint64_t)7u;
    if (cap > 0x7FFFFFF8u) {
        esr__oom = 1;
        return 0;
    }
    if (b->ptr && (uintptr_t)(b->ptr + b->cap) == esr__top) { /* the heap's last block: grow it */
        if (!esr_malloc((uint32_t)(cap - b->cap))) return 0;
    } else {
        fresh = (char *)esr_malloc((uint32_t)cap);
        if (!fresh) return 0;
        if (b->len) __builtin_memcpy(fresh, b->ptr, b->len);
        b->ptr = fresh;
    }
    b->cap = (uint32_t)cap;
    return 1;
}

ESR_API void esr_buf_put(esr_buf *b, const void *data, uint32_t n) {
    if (!n || !esr_buf_reserve(b, n)) return;
    __builtin_memcpy(b->ptr + b->len, data, n);
    b->len += n;
}

ESR_API void esr_buf_puts(esr_buf *b, const char *s) { esr_buf_put(b, s, esr__strlen(s)); }

ESR_API void esr_buf_byte(esr_buf *b, char c) {
    if (b->len < b->cap || esr_buf_reserve(b, 1)) b->ptr[b->len++] = c;
}

static int64_t esr__packed(const char *ptr, uint32_t len) {
    return (int64_t)(((uint64_t)(uintptr_t)ptr << 32) | len);
}

/* ------------------------------------------------------------------------------------------ */
/* JSON validation                                                                            */

static const char *esr__ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

static int esr__hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int32_t esr__hex4(const char *p) {
    int a = esr__hex(p[0]), b = esr__hex(p[1]), c = esr__hex(p[2]), d = esr__hex(p[3]);
    if ((a | b | c | d) < 0) return -1;
    return (a << 12) | (b << 8) | (c << 4) | d;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static uint32_t esr__utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    uint32_t n, i;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if ((uint32_t)(end - p) < n || p[1] < lo || p[1] > hi) return 0;
    for (i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* Per byte: 1 = plain in a string (printable ASCII but " and \\), 2 = anything but " and
   \\, 4 = a quote or a bracket (what skipping a container stops at). */
static const uint8_t esr__class[256] = {
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
};

static const char *esr__check_string(const char **pp, const char *end) {
    const char *p = *pp + 1;
    int32_t u, v;
    uint32_t n;
    for (;;) {
        while (p < end && (esr__class[(unsigned char)*p] & 1)) p++;
        if (p >= end) {
            *pp = p;
            return "unterminated string";
        }
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c < 0x20) {
            *pp = p;
            return "control character in a string (escape it)";
        }
        if (c == '\\') {
            if (p + 1 >= end) {
                *pp = end;
                return "unterminated string";
            }
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u':
                u = end - p >= 6 ? esr__hex4(p + 2) : -1;
                if (u < 0) {
                    *pp = p;
                    return "\\u needs four hex digits";
                }
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    *pp = p;
                    return "lone low surrogate escape";
                }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    v = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? esr__hex4(p + 8) : -1;
                    if (v < 0xDC00 || v > 0xDFFF) {
                        *pp = p;
                        return "high surrogate escape without its low surrogate";
                    }
                    p += 6;
                }
                p += 6;
                continue;
            default:
                *pp = p;
                return "invalid escape";
            }
        }
        if (c < 0x80) {
            p++;
            continue;
        }
        n = esr__utf8_len((const unsigned char *)p, (const unsigned char *)end);
        if (!n) {
            *pp = p;
            return "invalid UTF-8";
        }
        p += n;
    }
    *pp = p + 1;
    return 0;
}

static const char *esr__check_number(const char **pp, const char *end) {
    const char *p = *pp;
    if (*p == '-') p++;
    if (p >= end || *p < '0' || *p > '9') goto bad;
    if (*p == '0') p++;
    else
        while (p < end && *p >= '0' && *p <= '9') p++;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') goto bad;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') goto bad;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    *pp = p;
    return 0;
bad:
    *pp = p;
    return "invalid number";
}

/**
 * NULL if s[0..n) is one valid JSON value (RFC 8259, UTF-8, nesting <= ESR_MAX_DEPTH); else
 * what is wrong, and the byte offset where in *where. Iterative: no input can overflow the stack.
 */
ESR_API const char *esr_json_check(const char *s, uint32_t n, uint32_t *where) {
    const char *p = s, *end = s + n, *err = 0;
    uint8_t object[ESR_MAX_DEPTH];
    uint32_t depth = 0;
value:
    p = esr__ws(p, end);
    if (p >= end) {
        err = "expected a value";
        goto fail;
    }
    switch (*p) {
    case '{':
    case '[':
        if (depth == ESR_MAX_DEPTH) {
            err = "nested deeper than " ESR__STR(ESR_MAX_DEPTH) " levels";
            goto fail;
        }
        object[depth++] = *p == '{';
        p = esr__ws(p + 1, end);
        if (p < end && *p == (object[depth - 1] ? '}' : ']')) {
            p++;
            depth--;
            goto after;
        }
        if (object[depth - 1]) goto key;
        goto value;
    case '"':
        if ((err = esr__check_string(&p, end))) goto fail;
        goto after;
    case 't':
        if (end - p < 4 || !esr__memeq(p, "true", 4)) goto literal;
        p += 4;
        goto after;
    case 'f':
        if (end - p < 5 || !esr__memeq(p, "false", 5)) goto literal;
        p += 5;
        goto after;
    case 'n':
        if (end - p < 4 || !esr__memeq(p, "null", 4)) goto literal;
        p += 4;
        goto after;
    default:
        if (*p != '-' && (*p < '0' || *p > '9')) {
            err = "unexpected character";
            goto fail;
        }
        if ((err = esr__check_number(&p, end))) goto fail;
        goto after;
    }
literal:
    err = "invalid literal (true, false or null)";
    goto fail;
key:
    if (p >= end || *p != '"') {
        err = "expected a string key";
        goto fail;
    }
    if ((err = esr__check_string(&p, end))) goto fail;
    p = esr__ws(p, end);
    if (p >= end || *p != ':') {
        err = "expected ':'";
        goto fail;
    }
    p++;
    goto value;
after:
    p = esr__ws(p, end);
    if (!depth) {
        if (p != end) err = "unexpected text after the value";
        goto fail;
    }
    if (p < end && *p == ',') {
        p = esr__ws(p + 1, end);
        if (object[depth - 1]) goto key;
        goto value;
    }
    if (p < end && *p == (object[depth - 1] ? '}' : ']')) {
        p++;
        depth--;
        goto after;
    }
    err = object[depth - 1] ? "expected ',' or '}'" : "expected ',' or ']'";
fail:
    if (where) *where = (uint32_t)(p - s);
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading validated JSON                                                                     */

static const char *esr__skip_string(const char *p) { /* p at the opening quote */
    for (p++;;) {
        while (esr__class[(unsigned char)*p] & 2) p++;
        if (*p == '"') return p + 1;
        p += 2; /* a backslash and the character it escapes */
    }
}

/* The end of the value starting at p (validated text; end bounds a top-level scalar). */
static const char *esr__skip(const char *p, const char *end) {
    uint32_t depth = 0;
    if (*p == '"') return esr__skip_string(p);
    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
               *p != '\r' && *p != '\t')
            p++;
        return p;
    }
    for (;;) {
        char c;
        while (!(esr__class[(unsigned char)*p] & 4)) p++;
        c = *p;
        if (c == '"') {
            p = esr__skip_string(p);
            continue;
        }
        p++;
        if (c == '{' || c == '[') depth++;
        else if (--depth == 0) return p;
    }
}

static esr_val esr__val(const char *p, const char *end) {
    esr_val v;
    v.ptr = p;
    v.len = (uint32_t)(esr__skip(p, end) - p);
    return v;
}

ESR_API esr_kind esr_kind_of(esr_val v) {
    if (!v.len) return ESR_MISSING;
    switch (v.ptr[0]) {
    case 'n': return ESR_NULL;
    case 't': case 'f': return ESR_BOOL;
    case '"': return ESR_STRING;
    case '[': return ESR_ARRAY;
    case '{': return ESR_OBJECT;
    default: return ESR_NUMBER;
    }
}

/** An iterator over an array's items or an object's members (empty for anything else). */
ESR_API esr_iter esr_iterate(esr_val v) {
    esr_iter it = {0, 0};
    esr_kind k = esr_kind_of(v);
    if (k == ESR_ARRAY || k == ESR_OBJECT) {
        it.p = v.ptr + 1;
        it.end = v.ptr + v.len - 1;
    }
    return it;
}

/* The next member: its raw key (undecoded text between the quotes) and value. */
static int esr__next(esr_iter *it, esr_str *raw_key, esr_val *value) {
    const char *p = esr__ws(it->p, it->end);
    if (p >= it->end) return 0;
    if (*p == ',') p = esr__ws(p + 1, it->end);
    if (raw_key) {
        const char *close = esr__skip_string(p);
        raw_key->ptr = p + 1;
        raw_key->len = (uint32_t)(close - p - 2);
        p = esr__ws(close, it->end) + 1; /* past ':' */
        p = esr__ws(p, it->end);
    }
    *value = esr__val(p, it->end);
    it->p = value->ptr + value->len;
    return 1;
}

/** The next item of an array; 0 at the end. */
ESR_API int esr_next(esr_iter *it, esr_val *item) { return esr__next(it, 0, item); }

ESR_API esr_str esr_string(esr_val v);

/** The next member of an object, its key decoded; 0 at the end. */
ESR_API int esr_next_member(esr_iter *it, esr_str *key, esr_val *value) {
    esr_str raw;
    esr_val quoted;
    if (!esr__next(it, &raw, value)) return 0;
    quoted.ptr = raw.ptr - 1;
    quoted.len = raw.len + 2;
    *key = esr_string(quoted);
    return 1;
}

static int esr__has_backslash(const char *p, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++)
        if (p[i] == '\\') return 1;
    return 0;
}

/** The member key of an object (the last one if the key repeats); missing otherwise. */
ESR_API esr_val esr_get(esr_val object, const char *key) {
    esr_val found = {0, 0}, value;
    esr_iter it;
    esr_str raw, decoded;
    esr_val quoted;
    uint32_t n = esr__strlen(key);
    if (esr_kind_of(object) != ESR_OBJECT) return found;
    it = esr_iterate(object);
    while (esr__next(&it, &raw, &value)) {
        if (raw.len == n && esr__memeq(raw.ptr, key, n)) found = value;
        else if (raw.len > n && esr__has_backslash(raw.ptr, raw.len)) {
            quoted.ptr = raw.ptr - 1;
            quoted.len = raw.len + 2;
            decoded = esr_string(quoted);
            if (decoded.len == n && esr__memeq(decoded.ptr, key, n)) found = value;
        }
    }
    return found;
}

/** The index-th item of an array (missing when out of range). */
ESR_API esr_val esr_at(esr_val array, uint32_t index) {
    esr_val item = {0, 0};
    esr_iter it = esr_kind_of(array) == ESR_ARRAY ? esr_iterate(array) : (esr_iter){0, 0};
    while (esr_next(&it, &item))
        if (index-- == 0) return item;
    item.len = 0;
    item.ptr = 0;
    return item;
}

static char *esr__utf8(char *o, uint32_t cp) {
    if (cp < 0x80) *o++ = (char)cp;
    else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/** A string value decoded (no copy without escapes); ptr NULL if v is not a string. */
ESR_API esr_str esr_string(esr_val v) {
    esr_str out = {0, 0};
    const char *p, *end;
    char *o;
    uint32_t cp;
    if (esr_kind_of(v) != ESR_STRING) return out;
    p = v.ptr + 1;
    end = v.ptr + v.len - 1;
    if (!esr__has_backslash(p, (uint32_t)(end - p))) {
        out.ptr = p;
        out.len = (uint32_t)(end - p);
        return out;
    }
    o = (char *)esr_malloc((uint32_t)(end - p)); /* decoding never lengthens */
    if (!o) {
        out.ptr = "";
        return out;
    }
    out.ptr = o;
    while (p < end) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        switch (p[1]) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            cp = (uint32_t)esr__hex4(p + 2);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)esr__hex4(p + 8) - 0xDC00);
                p += 6;
            }
            o = esr__utf8(o, cp);
            p += 4;
            break;
        default: *o++ = p[1]; /* \" \\ \/ */
        }
        p += 2;
    }
    out.len = (uint32_t)(o - out.ptr);
    return out;
}

/** The boolean value (0 for anything but true). */
ESR_API int esr_is_true(esr_val v) { return v.len == 4 && v.ptr[0] == 't'; }

/** An integer value into *out: 1 if v is a JSON integer (no fraction or exponent) in range. */
ESR_API int esr_to_int(esr_val v, int64_t *out) {
    const char *p = v.ptr, *end = v.ptr + v.len;
    uint64_t n = 0, limit;
    int neg;
    if (esr_kind_of(v) != ESR_NUMBER) return 0;
    neg = *p == '-';
    p += neg;
    limit = neg ? 9223372036854775808ull : 9223372036854775807ull;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return 0;
        if (n > (limit - (uint64_t)(*p - '0')) / 10) return 0;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    *out = neg ? (int64_t)(0 - n) : (int64_t)n;
    return 1;
}

/* ---- correctly rounded decimal <-> double, with a small bignum for the hard cases ---- */

#define ESR__BIG 100        /* 3,200 bits: the largest operand below needs about 2,700 */
#define ESR__MAX_DIGITS 780 /* more significant digits only matter as a sticky last digit */

typedef struct {
    uint32_t n;
    uint32_t w[ESR__BIG];
} esr__big;

static void esr__big_set(esr__big *b, uint64_t v) {
    b->n = 0;
    while (v) {
        b->w[b->n++] = (uint32_t)v;
        v >>= 32;
    }
}

static void esr__big_muladd(esr__big *b, uint32_t m, uint32_t a) {
    uint64_t carry = a;
    uint32_t i;
    for (i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->w[i] * m + carry;
        b->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry && b->n < ESR__BIG) b->w[b->n++] = (uint32_t)carry;
}

static void esr__big_pow5(esr__big *b, uint32_t e) {
    static const uint32_t small[14] = {1,      5,       25,       125,       625,
                                       3125,   15625,   78125,    390625,    1953125,
                                       9765625, 48828125, 244140625, 1220703125};
    for (; e >= 13; e -= 13) esr__big_muladd(b, 1220703125u, 0);
    if (e) esr__big_muladd(b, small[e], 0);
}

static void esr__big_shl(esr__big *b, uint32_t bits) {
    uint32_t words = bits / 32, s = bits % 32, i;
    if (!b->n) return;
    if (b->n + words + 1 > ESR__BIG) words = ESR__BIG - b->n - 1; /* unreachable by design */
    b->w[b->n + words] = 0;
    for (i = b->n; i-- > 0;) {
        if (s) b->w[i + words + 1] |= b->w[i] >> (32 - s);
        b->w[i + words] = b->w[i] << s;
    }
    for (i = 0; i < words; i++) b->w[i] = 0;
    b->n += words + 1;
    while (b->n && !b->w[b->n - 1]) b->n--;
}

static int esr__big_cmp(const esr__big *a, const esr__big *b) {
    uint32_t i;
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (i = a->n; i-- > 0;)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

static uint32_t esr__big_divmod(esr__big *b, uint32_t d) {
    uint64_t rem = 0;
    uint32_t i;
    for (i = b->n; i-- > 0;) {
        uint64_t cur = (rem << 32) | b->w[i];
        b->w[i] = (uint32_t)(cur / d);
        rem = cur % d;
    }
    while (b->n && !b->w[b->n - 1]) b->n--;
    return (uint32_t)rem;
}

static const double esr__p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static uint64_t esr__bits(double d) {
    uint64_t u;
    __builtin_memcpy(&u, &d, 8);
    return u;
}

static double esr__double(uint64_t u) {
    double d;
    __builtin_memcpy(&d, &u, 8);
    return d;
}

/* v (positive, finite) = m * 2^k with m < 2^53 */
static void esr__decompose(double v, uint64_t *m, int32_t *k) {
    uint64_t bits = esr__bits(v), frac = bits & ((1ull << 52) - 1);
    int32_t exp = (int32_t)(bits >> 52) & 0x7FF;
    *m = exp ? frac | (1ull << 52) : frac;
    *k = exp ? exp - 1075 : -1074;
}

/* sign of (D * 10^e10) - (midpoint between z and the next double up); l0 = D * 5^max(e10,0),
   p5 = 5^max(-e10,0) */
static int esr__cmp_midpoint(const esr__big *l0, const esr__big *p5, int32_t e10, double z) {
    esr__big l = *l0, r = *p5, hi = *p5;
    uint64_t m, b;
    int32_t k, el, er;
    esr__decompose(z, &m, &k);
    b = 2 * m + 1; /* midpoint = b * 2^(k-1); b < 2^54: r = p5 * b in two 27-bit halves */
    esr__big_muladd(&r, (uint32_t)(b & 0x7FFFFFF), 0);
    esr__big_muladd(&hi, (uint32_t)(b >> 27), 0);
    esr__big_shl(&hi, 27);
    {
        uint64_t carry = 0;
        uint32_t i, n = hi.n > r.n ? hi.n : r.n;
        for (i = 0; i < n; i++) {
            uint64_t t = carry + (i < r.n ? r.w[i] : 0) + (i < hi.n ? hi.w[i] : 0);
            r.w[i] = (uint32_t)t;
            carry = t >> 32;
        }
        r.n = n;
        if (carry && r.n < ESR__BIG) r.w[r.n++] = (uint32_t)carry;
    }
    el = e10;
    er = k - 1;
    if (el > er) esr__big_shl(&l, (uint32_t)(el - er));
    else if (er > el) esr__big_shl(&r, (uint32_t)(er - el));
    return esr__big_cmp(&l, &r);
}

/* The double nearest to digits[0..nd) * 10^e10 (nd >= 1, no leading zero), ties to even. */
static double esr__decimal_to_double(const char *digits, uint32_t nd, int32_t e10) {
    uint64_t mant = 0;
    uint32_t i, used = nd < 19 ? nd : 19;
    int32_t e;
    double z;
    esr__big l0, p5;
    if ((int32_t)nd + e10 > 310) return __builtin_inf();
    if ((int32_t)nd + e10 <= -324) return 0.0;
    for (i = 0; i < used; i++) mant = mant * 10 + (uint64_t)(digits[i] - '0');
    if (nd <= 19 && mant <= (1ull << 53) && e10 >= -22 && e10 <= 22)
        return e10 < 0 ? (double)mant / esr__p10[-e10] : (double)mant * esr__p10[e10];
    /* an estimate within a few units in the last place, then exact comparisons */
    e = e10 + (int32_t)(nd - used);
    z = (double)mant;
    if (e > 0) {
        for (; e >= 22; e -= 22) z *= 1e22;
        z *= esr__p10[e];
    } else {
        for (e = -e; e >= 22; e -= 22) z /= 1e22;
        z /= esr__p10[e];
    }
    if (z > 1.7976931348623157e308) z = 1.7976931348623157e308;
    esr__big_set(&l0, 0);
    for (i = 0; i < nd; i++) {
        uint32_t chunk = 0, scale = 1, j;
        for (j = 0; j < 9 && i < nd; j++, i++) {
            chunk = chunk * 10 + (uint32_t)(digits[i] - '0');
            scale *= 10;
        }
        i--;
        esr__big_muladd(&l0, scale, chunk);
    }
    esr__big_set(&p5, 1);
    if (e10 > 0) esr__big_pow5(&l0, (uint32_t)e10);
    else esr__big_pow5(&p5, (uint32_t)-e10);
    for (i = 0; i < 2100; i++) {
        int odd = (int)(esr__bits(z) & 1), c = esr__cmp_midpoint(&l0, &p5, e10, z);
        if (c > 0 || (c == 0 && odd)) {
            if (z == 1.7976931348623157e308) return __builtin_inf();
            z = esr__double(esr__bits(z) + 1);
            continue;
        }
        if (z == 0.0) break;
        if (esr__cmp_midpoint(&l0, &p5, e10, esr__double(esr__bits(z) - 1)) < 0 ||
            (esr__cmp_midpoint(&l0, &p5, e10, esr__double(esr__bits(z) - 1)) == 0 && odd)) {
            z = esr__double(esr__bits(z) - 1);
            continue;
        }
        break;
    }
    return z;
}

static double esr__parse_double(const char *p, const char *end) {
    char digits[ESR__MAX_DIGITS + 1];
    uint32_t nd = 0;
    int32_t e10 = 0, exp = 0, eneg;
    int neg = *p == '-', sticky = 0;
    double v;
    p += neg;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (!nd && *p == '0') continue;
        if (nd < ESR__MAX_DIGITS) digits[nd++] = *p;
        else {
            e10++;
            sticky |= *p != '0';
        }
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            if (!nd && *p == '0') e10--;
            else if (nd < ESR__MAX_DIGITS) {
                digits[nd++] = *p;
                e10--;
            } else sticky |= *p != '0';
        }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        eneg = *p == '-';
        if (*p == '-' || *p == '+') p++;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (exp < 100000000) exp = exp * 10 + (*p - '0');
        e10 += eneg ? -exp : exp;
    }
    if (!nd) return neg ? -0.0 : 0.0;
    if (sticky) {
        digits[nd++] = '1';
        e10--;
    } else
        while (digits[nd - 1] == '0') {
            nd--;
            e10++;
        }
    v = esr__decimal_to_double(digits, nd, e10);
    return neg ? -v : v;
}

/** A number value into *out (correctly rounded; huge exponents give +-inf): 1 if a number. */
ESR_API int esr_to_double(esr_val v, double *out) {
    if (esr_kind_of(v) != ESR_NUMBER) return 0;
    *out = esr__parse_double(v.ptr, v.ptr + v.len);
    return 1;
}

/* all[0..p) rounded down or up into d, trailing zeros dropped; its length (*ce adjusted so
   that the value is d * 10^*ce) */
static uint32_t esr__candidate(const char *all, uint32_t p, int up, char *d, int32_t *ce) {
    uint32_t nd, i;
    for (nd = 0; nd < p; nd++) d[nd] = all[nd];
    if (up) {
        for (i = p; i-- > 0;) {
            if (d[i] != '9') {
                d[i]++;
                break;
            }
            d[i] = '0';
        }
        if (i == (uint32_t)-1) { /* 99.9 -> 100 */
            d[0] = '1';
            (*ce)++;
        }
    }
    while (nd > 1 && d[nd - 1] == '0') {
        nd--;
        (*ce)++;
    }
    return nd;
}

/* The shortest decimal that reads back as v (positive, finite, non-zero), the nearest of those,
   written as Python's repr writes it. out needs 32 bytes; its length. */
static uint32_t esr__format_double(double v, char *out) {
    char all[800], *o = out;
    uint32_t chunks[90], nc = 0, na = 0, p, nd = 0, i;
    uint64_t m;
    int32_t k, e10, point = 0;
    esr__big n;
    char d[18];
    esr__decompose(v, &m, &k);
    esr__big_set(&n, m);
    if (k >= 0) {
        esr__big_shl(&n, (uint32_t)k);
        e10 = 0;
    } else {
        esr__big_pow5(&n, (uint32_t)-k);
        e10 = k;
    }
    while (n.n && nc < 90) chunks[nc++] = esr__big_divmod(&n, 1000000000u);
    for (i = nc; i-- > 0;) {
        char tmp[9];
        uint32_t c = chunks[i], j;
        for (j = 9; j-- > 0; c /= 10) tmp[j] = (char)('0' + c % 10);
        for (j = 0; j < 9; j++)
            if (na || tmp[j] != '0') all[na++] = tmp[j];
    }
    /* value = all[0..na) * 10^e10 */
    for (p = 1; p <= 17; p++) {
        int32_t ce = e10;
        int up, attempt, found = 0;
        if (na <= p) { /* exact */
            nd = esr__candidate(all, na, 0, d, &ce);
            point = ce + (int32_t)nd - 1;
            break;
        }
        up = all[p] > '5';
        if (all[p] == '5') {
            for (i = p + 1; i < na && !up; i++) up = all[i] != '0';
            if (!up) up = (all[p - 1] - '0') & 1;
        }
        /* the nearest p digits first; at a power of two the other side may read back instead */
        for (attempt = 0; attempt < 2 && !found; attempt++, up = !up) {
            ce = e10 + (int32_t)na - (int32_t)p;
            nd = esr__candidate(all, p, up, d, &ce);
            found = (p == 17 && !attempt) || esr__decimal_to_double(d, nd, ce) == v;
        }
        if (found) {
            point = ce + (int32_t)nd - 1; /* v = d[0].d[1..] * 10^point */
            break;
        }
    }
    if (point >= -4 && point < 16) {
        if (point < 0) {
            *o++ = '0';
            *o++ = '.';
            for (k = -1; k > point; k--) *o++ = '0';
            for (i = 0; i < nd; i++) *o++ = d[i];
        } else {
            for (i = 0; i <= (uint32_t)point; i++) *o++ = i < nd ? d[i] : '0';
            *o++ = '.';
            if (nd > (uint32_t)point + 1)
                for (i = (uint32_t)point + 1; i < nd; i++) *o++ = d[i];
            else *o++ = '0';
        }
    } else {
        *o++ = d[0];
        if (nd > 1) {
            *o++ = '.';
            for (i = 1; i < nd; i++) *o++ = d[i];
        }
        *o++ = 'e';
        *o++ = point < 0 ? '-' : '+';
        if (point < 0) point = -point;
        if (point >= 100) *o++ = (char)('0' + point / 100);
        *o++ = (char)('0' + point / 10 % 10);
        *o++ = (char)('0' + point % 10);
    }
    return (uint32_t)(o - out);
}

/* ------------------------------------------------------------------------------------------ */
/* Writing JSON                                                                               */

/** A JSON string literal of s[0..n) into b: escaped, invalid UTF-8 replaced by U+FFFD. */
ESR_API void esr_buf_json_string(esr_buf *b, const char *s, uint32_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;
    uint32_t len;
    esr_buf_byte(b, '"');
    while (p < end) {
        run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
        esr_buf_put(b, run, (uint32_t)(p - run));
        if (p >= end) break;
        if (*p >= 0x80) {
            len = esr__utf8_len(p, end);
            if (len) esr_buf_put(b, p, len);
            else esr_buf_put(b, "\\ufffd", 6);
            p += len ? len : 1;
            continue;
        }
        esr_buf_byte(b, '\\');
        switch (*p) {
        case '"': esr_buf_byte(b, '"'); break;
        case '\\': esr_buf_byte(b, '\\'); break;
        case '\n': esr_buf_byte(b, 'n'); break;
        case '\r': esr_buf_byte(b, 'r'); break;
        case '\t': esr_buf_byte(b, 't'); break;
        case '\b': esr_buf_byte(b, 'b'); break;
        case '\f': esr_buf_byte(b, 'f'); break;
        default:
            esr_buf_put(b, "u00", 3);
            esr_buf_byte(b, hex[*p >> 4]);
            esr_buf_byte(b, hex[*p & 15]);
        }
        p++;
    }
    esr_buf_byte(b, '"');
}

/** A JSON number into b (null for NaN and infinities, which JSON cannot hold). */
ESR_API void esr_buf_json_double(esr_buf *b, double v) {
    char text[32];
    if (v != v || v - v != 0) esr_buf_put(b, "null", 4);
    else if (v == 0) esr_buf_puts(b, esr__bits(v) >> 63 ? "-0.0" : "0.0");
    else {
        if (v < 0) esr_buf_byte(b, '-');
        esr_buf_put(b, text, esr__format_double(v < 0 ? -v : v, text));
    }
}

ESR_API void esr_buf_int(esr_buf *b, int64_t v) {
    char text[20];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    uint32_t i = 20;
    do {
        text[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) esr_buf_byte(b, '-');
    esr_buf_put(b, text + i, 20 - i);
}

/**
 * Formatted text into b: %s C string, %S esr_str, %d int, %D int64_t, %g double, %% percent.
 */
ESR_API void esr_buf_vformat(esr_buf *b, const char *fmt, va_list ap) {
    esr_str s;
    for (; *fmt; fmt++) {
        if (*fmt != '%' || !fmt[1]) {
            esr_buf_byte(b, *fmt);
            continue;
        }
        switch (*++fmt) {
        case 's': esr_buf_puts(b, va_arg(ap, const char *)); break;
        case 'S':
            s = va_arg(ap, esr_str);
            esr_buf_put(b, s.ptr, s.len);
            break;
        case 'd': esr_buf_int(b, va_arg(ap, int)); break;
        case 'D': esr_buf_int(b, va_arg(ap, int64_t)); break;
        case 'g': esr_buf_json_double(b, va_arg(ap, double)); break;
        default: esr_buf_byte(b, *fmt);
        }
    }
}

ESR_API void esr_buf_format(esr_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    esr_buf_vformat(b, fmt, ap);
    va_end(ap);
}

static int64_t esr__error(const char *code, const char *message) {
    static const char fallback[] =
        "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"the handler ran out of memory\"}}";
    esr_buf b = {0, 0, 0};
    if (!esr__oom) {
        esr_buf_puts(&b, "{\"error\":{\"code\":");
        esr_buf_json_string(&b, code, esr__strlen(code));
        esr_buf_puts(&b, ",\"message\":");
        esr_buf_json_string(&b, message, esr__strlen(message));
        esr_buf_puts(&b, "}}");
    }
    if (esr__oom) return esr__packed(fallback, sizeof fallback - 1);
    return esr__packed(b.ptr, b.len);
}

/**
 * Report that the handler cannot go on (a corrupt history, say): the call ends in
 * {"error": {code, message}}, which the host treats as a fault. Format as esr_buf_format.
 */
ESR_API void esr_fail(const char *code, const char *fmt, ...) {
    esr_buf message = {0, 0, 0};
    va_list ap;
    if (esr__failure.len) return;
    va_start(ap, fmt);
    esr_buf_vformat(&message, fmt, ap);
    va_end(ap);
    esr_buf_byte(&message, 0);
    if (esr__oom) return;
    esr__failure.len = 1; /* marks the failure before esr__error allocates */
    {
        int64_t packed = esr__error(code, message.ptr);
        esr__failure.ptr = (char *)(uintptr_t)((uint64_t)packed >> 32);
        esr__failure.len = (uint32_t)packed;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Results: emitted events and rejections                                                     */

static void esr__misuse(esr_result *r, const char *what) {
    if (!r->misuse) r->misuse = what;
}

/**
 * Reject the command: code (machine-readable) and a message formatted as esr_buf_format. The
 * first rejection wins, and a rejected command emits nothing.
 */
ESR_API void esr_reject(esr_result *r, const char *code, const char *fmt, ...) {
    va_list ap;
    if (r->rejected) return;
    r->rejected = 1;
    r->code = code;
    va_start(ap, fmt);
    esr_buf_vformat(&r->message, fmt, ap);
    va_end(ap);
}

/** Whether the command is rejected already (by esr_reject or an esr_need_* check). */
ESR_API int esr_rejected(const esr_result *r) { return r->rejected; }

static void esr__close_event(esr_result *r) {
    for (; r->depth > 1; r->depth--) esr_buf_byte(&r->out, r->array[r->depth] ? ']' : '}');
    if (r->depth) esr_buf_put(&r->out, "}}", 2);
    r->depth = 0;
}

/** Start emitting an event of this type; esr_put_* then write its data's fields. */
ESR_API void esr_emit(esr_result *r, const char *type) {
    if (r->validating) {
        esr__misuse(r, "esr_emit was called in validate, which may only reject");
        return;
    }
    esr__close_event(r);
    esr_buf_puts(&r->out, r->events ? ",{\"type\":" : "{\"ok\":[{\"type\":");
    esr_buf_json_string(&r->out, type, esr__strlen(type));
    esr_buf_puts(&r->out, ",\"data\":{");
    r->events++;
    r->depth = 1;
    r->comma[1] = 0;
    r->array[1] = 0;
}

/* The comma and the key before a value; 0 when no event is being written. */
static int esr__key(esr_result *r, const char *key) {
    if (!r->depth) {
        esr__misuse(r, "esr_put_* was called before esr_emit");
        return 0;
    }
    if (r->comma[r->depth]) esr_buf_byte(&r->out, ',');
    r->comma[r->depth] = 1;
    if (!r->array[r->depth]) {
        if (!key) {
            esr__misuse(r, "a field of an object was written without a name");
            key = "";
        }
        esr_buf_json_string(&r->out, key, esr__strlen(key));
        esr_buf_byte(&r->out, ':');
    }
    return 1;
}

/* In arrays (after esr_begin_array) key is ignored: pass NULL. */
ESR_API void esr_put_str(esr_result *r, const char *key, esr_str value) {
    if (!esr__key(r, key)) return;
    if (value.ptr) esr_buf_json_string(&r->out, value.ptr, value.len);
    else esr_buf_put(&r->out, "null", 4);
}
ESR_API void esr_put_cstr(esr_result *r, const char *key, const char *value) {
    esr_put_str(r, key, value ? esr_cstr(value) : (esr_str){0, 0});
}
ESR_API void esr_put_double(esr_result *r, const char *key, double value) {
    if (esr__key(r, key)) esr_buf_json_double(&r->out, value);
}
ESR_API void esr_put_int(esr_result *r, const char *key, int64_t value) {
    if (esr__key(r, key)) esr_buf_int(&r->out, value);
}
ESR_API void esr_put_bool(esr_result *r, const char *key, int value) {
    if (esr__key(r, key)) esr_buf_puts(&r->out, value ? "true" : "false");
}
ESR_API void esr_put_null(esr_result *r, const char *key) {
    if (esr__key(r, key)) esr_buf_put(&r->out, "null", 4);
}
/** A value of the input or an event, copied as its JSON text (null when missing). */
ESR_API void esr_put_json(esr_result *r, const char *key, esr_val value) {
    if (!esr__key(r, key)) return;
    if (value.len) esr_buf_put(&r->out, value.ptr, value.len);
    else esr_buf_put(&r->out, "null", 4);
}

static void esr__begin(esr_result *r, const char *key, int array) {
    if (r->depth >= ESR_MAX_DEPTH) {
        esr__misuse(r, "event data nested deeper than ESR_MAX_DEPTH");
        return;
    }
    if (!esr__key(r, key)) return;
    esr_buf_byte(&r->out, array ? '[' : '{');
    r->depth++;
    r->comma[r->depth] = 0;
    r->array[r->depth] = (uint8_t)array;
}
ESR_API void esr_begin_object(esr_result *r, const char *key) { esr__begin(r, key, 0); }
ESR_API void esr_begin_array(esr_result *r, const char *key) { esr__begin(r, key, 1); }
/** Close the innermost esr_begin_object / esr_begin_array. */
ESR_API void esr_end(esr_result *r) {
    if (r->depth <= 1) {
        esr__misuse(r, "esr_end without esr_begin_object or esr_begin_array");
        return;
    }
    esr_buf_byte(&r->out, r->array[r->depth] ? ']' : '}');
    r->depth--;
}

/* ---- input checks shared by handlers ---- */

/** The member key as a non-empty string, or a rejection: invalid_input "<key> must be a
    non-empty string". */
ESR_API esr_str esr_need_str(esr_result *r, esr_val input, const char *key) {
    esr_str s = esr_string(esr_get(input, key));
    if (!s.len) esr_reject(r, "invalid_input", "%s must be a non-empty string", key);
    return s;
}

/** The member key as a finite number, or a rejection: invalid_input "<key> must be a number". */
ESR_API double esr_need_num(esr_result *r, esr_val input, const char *key) {
    double d = 0;
    if (!esr_to_double(esr_get(input, key), &d) || d - d != 0) {
        esr_reject(r, "invalid_input", "%s must be a number", key);
        return 0;
    }
    return d;
}

/** The member key of an object as a string (ptr NULL when missing or not a string). */
ESR_API esr_str esr_get_str(esr_val object, const char *key) {
    return esr_string(esr_get(object, key));
}

/** The member key of an object as a number (0 when missing or not a number). */
ESR_API double esr_get_num(esr_val object, const char *key) {
    double d = 0;
    esr_to_double(esr_get(object, key), &d);
    return d;
}

/* ------------------------------------------------------------------------------------------ */
/* Maps                                                                                       */

static uint32_t esr__hash(esr_str key) {
    uint32_t h = 2166136261u, i;
    for (i = 0; i < key.len; i++) h = (h ^ (unsigned char)key.ptr[i]) * 16777619u;
    return h | 1; /* 0 marks an empty slot */
}

#define ESR__SLOT(m, i) ((m)->slots + (size_t)(i) * (16 + (m)->value_size))

static void *esr__map_slot(const esr_map *m, esr_str key, uint32_t h, int *found) {
    uint32_t i = h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        char *slot = ESR__SLOT(m, i);
        uint32_t sh = *(uint32_t *)slot;
        if (!sh) {
            *found = 0;
            return slot;
        }
        if (sh == h && esr_str_eq(*(esr_str *)(slot + 8), key)) {
            *found = 1;
            return slot;
        }
    }
}

/** The value under key, if any (NULL otherwise). */
ESR_API void *esr_map_find(const esr_map *m, esr_str key) {
    int found;
    char *slot;
    if (!m->count) return 0;
    slot = (char *)esr__map_slot(m, key, esr__hash(key), &found);
    return found ? slot + 16 : 0;
}

/** The value under key, added (zeroed) if missing; value_size is fixed by the first call. On
    out-of-memory the command ends in an error, and a scratch value is returned meanwhile. */
ESR_API void *esr_map_get(esr_map *m, esr_str key, uint32_t value_size) {
    static uint64_t scratch[64];
    uint32_t h = esr__hash(key), i;
    int found;
    char *slot;
    if (!m->value_size) m->value_size = (value_size + 7u) & ~7u;
    if (m->value_size > sizeof scratch) return 0;
    if ((m->count + 1) * 4 > m->cap * 3) {
        esr_map grown = *m;
        grown.cap = m->cap ? m->cap * 2 : 8;
        grown.slots = (char *)esr_malloc(grown.cap * (16 + m->value_size));
        if (!grown.slots) {
            __builtin_memset(scratch, 0, sizeof scratch);
            return scratch;
        }
        __builtin_memset(grown.slots, 0, grown.cap * (16 + m->value_size));
        for (i = 0; i < m->cap; i++) {
            char *old = ESR__SLOT(m, i);
            if (*(uint32_t *)old) {
                slot = (char *)esr__map_slot(&grown, *(esr_str *)(old + 8), *(uint32_t *)old,
                                             &found);
                __builtin_memcpy(slot, old, 16 + m->value_size);
            }
        }
        *m = grown;
    }
    slot = (char *)esr__map_slot(m, key, h, &found);
    if (!found) {
        *(uint32_t *)slot = h;
        *(esr_str *)(slot + 8) = key;
        m->count++;
    }
    return slot + 16;
}

#define ESR_MAP_GET(map, key, T) ((T *)esr_map_get((map), (key), sizeof(T)))
#define ESR_MAP_FIND(map, key, T) ((T *)esr_map_find((map), (key)))

/* ------------------------------------------------------------------------------------------ */
/* The manifest                                                                               */

/** The command's name and semantic version ("transfer_funds", "1.2.0"). */
ESR_API void esr_command(esr_manifest *m, const char *name, const char *version) {
    m->name = name;
    m->version = version;
}

ESR_API void esr_description(esr_manifest *m, const char *text) { m->description = text; }

/** An event type the handler replays, with its domain-id fields, comma-separated ("" for none). */
ESR_API void esr_reads(esr_manifest *m, const char *type, const char *domain_ids) {
    const char *p = domain_ids, *start;
    int first = 1;
    if (m->reads.len) esr_buf_byte(&m->reads, ',');
    esr_buf_puts(&m->reads, "{\"type\":");
    esr_buf_json_string(&m->reads, type, esr__strlen(type));
    esr_buf_puts(&m->reads, ",\"domain_ids\":[");
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        start = p;
        while (*p && *p != ',' && *p != ' ') p++;
        if (p == start) continue;
        if (!first) esr_buf_byte(&m->reads, ',');
        first = 0;
        esr_buf_json_string(&m->reads, start, (uint32_t)(p - start));
    }
    esr_buf_puts(&m->reads, "]}");
}

/** An input field whose value binds a domain id ("source_account" -> "account_id"). */
ESR_API void esr_binds(esr_manifest *m, const char *input_field, const char *domain_id) {
    if (m->binds.len) esr_buf_byte(&m->binds, ',');
    esr_buf_json_string(&m->binds, input_field, esr__strlen(input_field));
    esr_buf_byte(&m->binds, ':');
    esr_buf_json_string(&m->binds, domain_id, esr__strlen(domain_id));
}

/**
 * The command's input as JSON Schema text (an object, in the subset the runtime supports: type,
 * properties, required, enum, const, bounds, items, anyOf/oneOf). Test strategies generate
 * inputs from it and an upload checks it; text that is not JSON makes esr_describe fail.
 */
ESR_API void esr_input_schema(esr_manifest *m, const char *json) { m->input_schema = json; }

/** An event type the handler may emit. */
ESR_API void esr_emits(esr_manifest *m, const char *type) {
    if (m->emits.len) esr_buf_byte(&m->emits, ',');
    esr_buf_puts(&m->emits, "{\"type\":");
    esr_buf_json_string(&m->emits, type, esr__strlen(type));
    esr_buf_byte(&m->emits, '}');
}

static int64_t esr__manifest;

static int64_t esr__describe(void (*describe)(esr_manifest *)) {
    esr_manifest m;
    esr_buf b = {0, 0, 0};
    if (esr__manifest) return esr__manifest;
    __builtin_memset(&m, 0, sizeof m);
    describe(&m);
    esr_buf_puts(&b, "{\"abi\":1,\"name\":");
    esr_buf_json_string(&b, m.name ? m.name : "", m.name ? esr__strlen(m.name) : 0);
    esr_buf_puts(&b, ",\"version\":");
    esr_buf_json_string(&b, m.version ? m.version : "", m.version ? esr__strlen(m.version) : 0);
    if (m.description) {
        esr_buf_puts(&b, ",\"description\":");
        esr_buf_json_string(&b, m.description, esr__strlen(m.description));
    }
    if (m.input_schema) {
        uint32_t n = esr__strlen(m.input_schema), where = 0;
        const char *wrong = esr_json_check(m.input_schema, n, &where);
        if (wrong) {
            esr_buf message = {0, 0, 0};
            esr_buf_format(&message, "esr_input_schema: %s at byte %d", wrong, (int)where);
            esr_buf_byte(&message, 0);
            if (esr__oom) return esr__error("out_of_memory", "the manifest does not fit in memory");
            return esr__error("invalid_input_schema", message.ptr);
        }
        esr_buf_puts(&b, ",\"input_schema\":");
        esr_buf_put(&b, m.input_schema, n);
    }
    esr_buf_puts(&b, ",\"reads\":[");
    esr_buf_put(&b, m.reads.ptr, m.reads.len);
    esr_buf_puts(&b, "],\"input_domain_ids\":{");
    esr_buf_put(&b, m.binds.ptr, m.binds.len);
    esr_buf_puts(&b, "},\"emits\":[");
    esr_buf_put(&b, m.emits.ptr, m.emits.len);
    esr_buf_puts(&b, "],\"sdk\":\"" ESR_SDK "\"}");
    if (esr__oom) return esr__error("out_of_memory", "the manifest does not fit in memory");
    esr__floor = esr__top; /* the manifest outlives every esr_init */
    esr__manifest = esr__packed(b.ptr, b.len);
    return esr__manifest;
}

/* ------------------------------------------------------------------------------------------ */
/* The exports                                                                                */

typedef void (*esr_apply_fn)(const esr_event *);
typedef void (*esr_input_fn)(esr_val, esr_result *);

static void esr__reset(void) {
    esr__top = esr__heap_floor();
    esr__oom = 0;
    esr__failure.len = 0;
}

static int esr__envelope(esr_val envelope, esr_event *e) {
    esr_iter it = esr_iterate(envelope);
    esr_str key;
    esr_val v;
    __builtin_memset(e, 0, sizeof *e);
    e->position = -1;
    if (esr_kind_of(envelope) != ESR_OBJECT) return 0;
    while (esr__next(&it, &key, &v)) {
        if (esr_is(key, "type")) e->type = esr_string(v);
        else if (esr_is(key, "data")) e->data = v;
        else if (esr_is(key, "position")) esr_to_int(v, &e->position);
        else if (esr_is(key, "id")) e->id = esr_string(v);
        else if (esr_is(key, "timestamp")) e->timestamp = esr_string(v);
        else if (esr_is(key, "tags")) e->tags = v;
    }
    return e->type.ptr && e->data.len;
}

static int64_t esr__apply(esr_apply_fn apply, int32_t ptr, int32_t len) {
    const char *start = (const char *)(uintptr_t)(uint32_t)ptr, *p = start, *end;
    const char *err;
    esr_buf message = {0, 0, 0};
    esr_event e;
    esr_val envelope;
    uint32_t n, at;
    if (!esr__in_memory(ptr, len)) return esr__error("bad_buffer", "esr_apply: buffer outside memory");
    end = start + len;
    while (p < end) {
        if (end - p < 4) {
            esr_buf_format(&message, "the frame header at byte %d is cut short", (int)(p - start));
            goto bad;
        }
        __builtin_memcpy(&n, p, 4);
        p += 4;
        if (n > (uint32_t)(end - p)) {
            esr_buf_format(&message, "the frame at byte %d overruns its batch", (int)(p - 4 - start));
            goto bad;
        }
        if ((err = esr_json_check(p, n, &at))) {
            esr_buf_format(&message, "the event at byte %d is not valid JSON: %s at byte %d",
                           (int)(p - start), err, (int)at);
            goto bad;
        }
        envelope.ptr = esr__ws(p, p + n);
        envelope.len = (uint32_t)(p + n - envelope.ptr);
        if (!esr__envelope(envelope, &e)) {
            esr_buf_format(&message, "the event at byte %d has no string 'type' or no 'data'",
                           (int)(p - start));
            goto bad;
        }
        apply(&e);
        if (esr__failure.len) return esr__packed(esr__failure.ptr, esr__failure.len);
        if (esr__oom) return esr__error("out_of_memory", "");
        p += n;
    }
    return 0;
bad:
    esr_buf_byte(&message, 0);
    return esr__error("bad_frame", message.ptr ? message.ptr : "bad frame");
}

/* Parse the input into r's world: 1 when it is a JSON object, else r holds a rejection. */
static int esr__input(int32_t ptr, int32_t len, esr_val *input, esr_result *r) {
    const char *p = (const char *)(uintptr_t)(uint32_t)ptr, *err;
    uint32_t at;
    esr__oom = 0;
    esr__failure.len = 0;
    __builtin_memset(r, 0, sizeof *r);
    if (!esr__in_memory(ptr, len)) {
        esr__misuse(r, "the input buffer is outside memory");
        return 0;
    }
    if ((err = esr_json_check(p, (uint32_t)len, &at))) {
        esr_reject(r, "invalid_input", "command input is not valid JSON: %s at byte %d", err,
                   (int)at);
        return 0;
    }
    input->ptr = esr__ws(p, p + len);
    input->len = (uint32_t)(p + len - input->ptr);
    if (esr_kind_of(*input) != ESR_OBJECT) {
        esr_reject(r, "invalid_input", "command input must be a JSON object");
        return 0;
    }
    return 1;
}

static int64_t esr__finish(esr_result *r, int validating) {
    esr_buf b = {0, 0, 0};
    if (esr__failure.len) return esr__packed(esr__failure.ptr, esr__failure.len);
    if (r->misuse) return esr__error("sdk_misuse", r->misuse);
    if (r->rejected) {
        esr_buf_puts(&b, "{\"rejected\":{\"code\":");
        esr_buf_json_string(&b, r->code, esr__strlen(r->code));
        esr_buf_puts(&b, ",\"message\":");
        esr_buf_json_string(&b, r->message.ptr, r->message.len);
        esr_buf_puts(&b, "}}");
        if (esr__oom) return esr__error("out_of_memory", "");
        return esr__packed(b.ptr, b.len);
    }
    if (validating) return 0;
    if (!r->events) return esr__packed("{\"ok\":[]}", 9);
    esr__close_event(r);
    esr_buf_put(&r->out, "]}", 2);
    if (esr__oom) return esr__error("out_of_memory", "");
    return esr__packed(r->out.ptr, r->out.len);
}

ESR_API int64_t esr__validate(esr_input_fn validate, int32_t ptr, int32_t len) {
    esr_result r;
    esr_val input;
    if (esr__input(ptr, len, &input, &r)) {
        r.validating = 1;
        validate(input, &r);
    }
    return esr__finish(&r, 1);
}

static int64_t esr__handle(esr_input_fn validate, esr_input_fn handle, int32_t ptr, int32_t len) {
    esr_result r;
    esr_val input;
    if (esr__input(ptr, len, &input, &r)) {
        if (validate) {
            r.validating = 1;
            validate(input, &r);
            r.validating = 0;
        }
        if (!r.rejected && !r.misuse && !esr__failure.len) handle(input, &r);
    }
    return esr__finish(&r, 0);
}

#define ESR__EXPORTS(STATE, DESCRIBE, VALIDATE, APPLY, HANDLE)                                 \
    ESR__EXPORT("esr_abi_version") int32_t esr_abi_version(void) { return 1; }                 \
    ESR__EXPORT("esr_alloc") int32_t esr_alloc(int32_t size) {                                 \
        return size < 0 ? 0 : (int32_t)(uintptr_t)esr_malloc((uint32_t)size);                 \
    }                                                                                          \
    ESR__EXPORT("esr_describe") int64_t esr_describe(void) { return esr__describe(DESCRIBE); } \
    ESR__EXPORT("esr_init") int64_t esr_init(void) {                                           \
        esr__reset();                                                                          \
        __builtin_memset(&(STATE), 0, sizeof(STATE));                                          \
        return 0;                                                                              \
    }                                                                                          \
    ESR__EXPORT("esr_apply") int64_t esr_apply(int32_t ptr, int32_t len) {                     \
        return esr__apply(APPLY, ptr, len);                                                    \
    }                                                                                          \
    ESR__EXPORT("esr_handle") int64_t esr_handle(int32_t ptr, int32_t len) {                   \
        return esr__handle(VALIDATE, HANDLE, ptr, len);                                        \
    }

/** Export a handler: its state (zeroed per command), describe, apply and handle functions. */
#define ESR_HANDLER(STATE, DESCRIBE, APPLY, HANDLE) \
    ESR__EXPORTS(STATE, DESCRIBE, (esr_input_fn)0, APPLY, HANDLE)

/** Export a handler that also checks its input before anything is read (esr_validate). */
#define ESR_HANDLER_WITH_VALIDATE(STATE, DESCRIBE, VALIDATE, APPLY, HANDLE)       \
    ESR__EXPORTS(STATE, DESCRIBE, VALIDATE, APPLY, HANDLE)                        \
    ESR__EXPORT("esr_validate") int64_t esr_validate(int32_t ptr, int32_t len) { \
        return esr__validate(VALIDATE, ptr, len);                                 \
    }

#endif /* ESRUNTIME_H */
