/* reserve_seat with two misspelt bindings: input field seat bound to a domain id "seta" that
 * nothing it reads carries, and an input field "seta" bound to seat. */
#include "esruntime.h"

static struct { int seats; } state;

static void describe(esr_manifest *m) {
    esr_command(m, "reserve_seat", "0.1.0");
    esr_reads(m, "SeatsAdded", "show_id");
    esr_reads(m, "SeatReserved", "show_id,seat");
    esr_binds(m, "show_id", "show_id");
    esr_binds(m, "seat", "seta");
    esr_binds(m, "seta", "seat");
    esr_emits(m, "SeatReserved");
}

static void apply(const esr_event *e) { state.seats += esr_is(e->type, "SeatsAdded"); }

static void handle(esr_val input, esr_result *r) {
    (void)input;
    esr_reject(r, "not_built", "this handler is never run");
}

ESR_HANDLER(state, describe, apply, handle)
