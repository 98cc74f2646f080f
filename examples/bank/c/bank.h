/*
 * The bank's state, shared by its handlers: accounts folded from OpenedAccount, SentFunds and
 * ReceivedFunds (a deposit is ReceivedFunds with no sender, a withdrawal SentFunds with no
 * recipient; see examples/README.md).
 */
#ifndef BANK_H
#define BANK_H

#include "esruntime.h"

/* The input schemas' fields (JSON Schema text that the compiler joins into each handler's):
 * an id or a name (what esr_need_str accepts) and an amount (what positive_amount accepts). */
#define TEXT_SCHEMA "{\"type\":\"string\",\"minLength\":1}"
#define AMOUNT_SCHEMA "{\"type\":\"number\",\"exclusiveMinimum\":0}"

typedef struct {
    int open;
    esr_str currency;
    double balance;
} Account;

static struct {
    esr_map accounts; /* account_id -> Account */
} state;

static void apply(const esr_event *e) {
    Account *account = ESR_MAP_GET(&state.accounts, esr_get_str(e->data, "account_id"), Account);
    if (esr_is(e->type, "OpenedAccount")) {
        account->open = 1;
        account->currency = esr_get_str(e->data, "currency");
    } else if (esr_is(e->type, "ReceivedFunds")) {
        account->balance += esr_get_num(e->data, "amount");
    } else if (esr_is(e->type, "SentFunds")) {
        account->balance -= esr_get_num(e->data, "amount");
    }
}

/* The open account with this id, or NULL after rejecting with account_not_found. */
static inline Account *open_account_or_reject(esr_result *r, esr_str id) {
    Account *account = ESR_MAP_FIND(&state.accounts, id, Account);
    if (account && account->open) return account;
    esr_reject(r, "account_not_found", "account %S does not exist", id);
    return 0;
}

/* The amount field: a number greater than zero, or a rejection. */
static inline double positive_amount(esr_result *r, esr_val input) {
    double amount = esr_need_num(r, input, "amount");
    if (!esr_rejected(r) && amount <= 0)
        esr_reject(r, "invalid_amount", "amount must be greater than zero");
    return amount;
}

#endif
