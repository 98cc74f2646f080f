/* transfer_funds: move money between two open accounts that hold the same currency. */
#include "bank.h"

static void describe(esr_manifest *m) {
    esr_command(m, "transfer_funds", "1.2.0");
    esr_description(m, "Move money from one open account to another of the same currency.");
    esr_reads(m, "OpenedAccount", "account_id");
    esr_reads(m, "SentFunds", "account_id");
    esr_reads(m, "ReceivedFunds", "account_id");
    esr_binds(m, "source_account", "account_id");
    esr_binds(m, "dest_account", "account_id");
    esr_emits(m, "SentFunds");
    esr_emits(m, "ReceivedFunds");
    esr_input_schema(m, "{\"type\":\"object\",\"properties\":{"
                        "\"source_account\":" TEXT_SCHEMA ",\"dest_account\":" TEXT_SCHEMA ","
                        "\"amount\":" AMOUNT_SCHEMA "},"
                        "\"required\":[\"source_account\",\"dest_account\",\"amount\"]}");
}

static void validate(esr_val input, esr_result *r) {
    esr_str source = esr_need_str(r, input, "source_account");
    esr_str dest = esr_need_str(r, input, "dest_account");
    positive_amount(r, input);
    if (!esr_rejected(r) && esr_str_eq(source, dest))
        esr_reject(r, "same_account", "cannot transfer from an account to itself");
}

static void handle(esr_val input, esr_result *r) {
    esr_str source_id = esr_get_str(input, "source_account");
    esr_str dest_id = esr_get_str(input, "dest_account");
    esr_val amount = esr_get(input, "amount");
    Account *source = open_account_or_reject(r, source_id);
    Account *dest = source ? open_account_or_reject(r, dest_id) : 0;
    if (!dest) return;
    if (!esr_str_eq(source->currency, dest->currency)) {
        esr_reject(r, "currency_mismatch", "accounts %S and %S hold different currencies",
                   source_id, dest_id);
        return;
    }
    if (source->balance < esr_get_num(input, "amount")) {
        esr_reject(r, "insufficient_funds", "account %S has insufficient funds", source_id);
        return;
    }
    esr_emit(r, "SentFunds");
    esr_put_str(r, "account_id", source_id);
    esr_put_json(r, "amount", amount);
    esr_put_str(r, "recipient_id", dest_id);
    esr_emit(r, "ReceivedFunds");
    esr_put_str(r, "account_id", dest_id);
    esr_put_json(r, "amount", amount);
    esr_put_str(r, "sender_id", source_id);
}

ESR_HANDLER_WITH_VALIDATE(state, describe, validate, apply, handle)
