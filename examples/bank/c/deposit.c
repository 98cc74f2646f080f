/* deposit: pay money into an open account (ReceivedFunds with no sender). */
#include "bank.h"

static void describe(esr_manifest *m) {
    esr_command(m, "deposit", "1.0.0");
    esr_description(m, "Pay money into an open account.");
    esr_reads(m, "OpenedAccount", "account_id");
    esr_binds(m, "account_id", "account_id");
    esr_emits(m, "ReceivedFunds");
    esr_input_schema(m, "{\"type\":\"object\",\"properties\":{"
                        "\"account_id\":" TEXT_SCHEMA ",\"amount\":" AMOUNT_SCHEMA "},"
                        "\"required\":[\"account_id\",\"amount\"]}");
}

static void validate(esr_val input, esr_result *r) {
    esr_need_str(r, input, "account_id");
    positive_amount(r, input);
}

static void handle(esr_val input, esr_result *r) {
    esr_str id = esr_get_str(input, "account_id");
    if (!open_account_or_reject(r, id)) return;
    esr_emit(r, "ReceivedFunds");
    esr_put_str(r, "account_id", id);
    esr_put_json(r, "amount", esr_get(input, "amount"));
    esr_put_null(r, "sender_id");
}

ESR_HANDLER_WITH_VALIDATE(state, describe, validate, apply, handle)
