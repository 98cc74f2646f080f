/* withdraw: take money out of an open account (SentFunds with no recipient). */
#include "bank.h"

static void describe(esr_manifest *m) {
    esr_command(m, "withdraw", "1.0.0");
    esr_description(m, "Take money out of an open account, never below zero.");
    esr_reads(m, "OpenedAccount", "account_id");
    esr_reads(m, "SentFunds", "account_id");
    esr_reads(m, "ReceivedFunds", "account_id");
    esr_binds(m, "account_id", "account_id");
    esr_emits(m, "SentFunds");
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
    Account *account = open_account_or_reject(r, id);
    if (!account) return;
    if (account->balance < esr_get_num(input, "amount")) {
        esr_reject(r, "insufficient_funds", "account %S has insufficient funds", id);
        return;
    }
    esr_emit(r, "SentFunds");
    esr_put_str(r, "account_id", id);
    esr_put_json(r, "amount", esr_get(input, "amount"));
    esr_put_null(r, "recipient_id");
}

ESR_HANDLER_WITH_VALIDATE(state, describe, validate, apply, handle)
