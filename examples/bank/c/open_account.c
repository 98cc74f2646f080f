/* open_account: open an account for an owner, holding one currency. */
#include "bank.h"

static void describe(esr_manifest *m) {
    esr_command(m, "open_account", "1.0.0");
    esr_description(m, "Open an account for an owner, holding one currency.");
    esr_reads(m, "OpenedAccount", "account_id");
    esr_binds(m, "account_id", "account_id");
    esr_emits(m, "OpenedAccount");
    esr_input_schema(m, "{\"type\":\"object\",\"properties\":{"
                        "\"account_id\":" TEXT_SCHEMA ",\"owner\":" TEXT_SCHEMA ","
                        "\"currency\":{\"type\":\"string\",\"enum\":[\"EUR\",\"USD\",\"GBP\"]}},"
                        "\"required\":[\"account_id\",\"owner\",\"currency\"]}");
}

static void validate(esr_val input, esr_result *r) {
    esr_str currency;
    esr_need_str(r, input, "account_id");
    esr_need_str(r, input, "owner");
    currency = esr_get_str(input, "currency");
    if (!esr_is(currency, "EUR") && !esr_is(currency, "USD") && !esr_is(currency, "GBP"))
        esr_reject(r, "invalid_input", "currency must be one of EUR, USD, GBP");
}

static void handle(esr_val input, esr_result *r) {
    esr_str id = esr_get_str(input, "account_id");
    Account *account = ESR_MAP_FIND(&state.accounts, id, Account);
    if (account && account->open) {
        esr_reject(r, "account_already_open", "account %S is already open", id);
        return;
    }
    esr_emit(r, "OpenedAccount");
    esr_put_str(r, "account_id", id);
    esr_put_str(r, "owner", esr_get_str(input, "owner"));
    esr_put_str(r, "currency", esr_get_str(input, "currency"));
}

ESR_HANDLER_WITH_VALIDATE(state, describe, validate, apply, handle)
