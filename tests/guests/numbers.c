/* A test handler for the C SDK's numbers: "numbers" (an array) comes back as one event whose
   "bits" are each number's IEEE bits as esr_to_double read them and "texts" as esr_put_double
   writes them; "ints" holds esr_to_int's view (null when not an integer). "fail": true makes it
   call esr_fail, "misuse": true write a field before any esr_emit, "trap": true trap in
   trap_deliberately. */
#include "esruntime.h"

static struct { int unused; } state;

static void describe(esr_manifest *m) {
    esr_command(m, "numbers", "1.0.0");
    esr_emits(m, "Numbers");
    esr_input_schema(m, "{\"type\":\"object\",\"properties\":{\"numbers\":{\"type\":\"array\","
                        "\"items\":{\"type\":\"number\"}}},\"required\":[\"numbers\"]}");
}

static void apply(const esr_event *e) { (void)e; }

__attribute__((noinline)) static void trap_deliberately(void) { __builtin_trap(); }

static void handle(esr_val input, esr_result *r) {
    esr_val item;
    esr_iter it;
    double d;
    int64_t i;
    if (esr_is_true(esr_get(input, "fail"))) {
        esr_fail("asked_to_fail", "failing as asked (%d)", 7);
        return;
    }
    if (esr_is_true(esr_get(input, "trap"))) trap_deliberately();
    if (esr_is_true(esr_get(input, "misuse"))) esr_put_int(r, "early", 1);
    esr_emit(r, "Numbers");
    esr_begin_array(r, "bits");
    for (it = esr_iterate(esr_get(input, "numbers")); esr_next(&it, &item);) {
        uint64_t bits;
        esr_to_double(item, &d);
        __builtin_memcpy(&bits, &d, 8);
        esr_put_int(r, 0, (int64_t)bits);
    }
    esr_end(r);
    esr_begin_array(r, "texts");
    for (it = esr_iterate(esr_get(input, "numbers")); esr_next(&it, &item);) {
        esr_to_double(item, &d);
        esr_put_double(r, 0, d);
    }
    esr_end(r);
    esr_begin_array(r, "ints");
    for (it = esr_iterate(esr_get(input, "numbers")); esr_next(&it, &item);) {
        if (esr_to_int(item, &i)) esr_put_int(r, 0, i);
        else esr_put_null(r, 0);
    }
    esr_end(r);
}

ESR_HANDLER(state, describe, apply, handle)
