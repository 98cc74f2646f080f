// The bank's state, shared by its handlers: accounts folded from OpenedAccount, SentFunds and
// ReceivedFunds (a deposit is ReceivedFunds with no sender, a withdrawal SentFunds with no
// recipient; see examples/README.md).
import { Event, Handler, Json, Result } from "../../../sdk/assemblyscript/assembly";

// The input schemas' fields (JSON Schema text joined into each handler's): an id or a name (what
// needString accepts) and an amount (what positiveAmount accepts).
export const TEXT_SCHEMA = '{"type":"string","minLength":1}';
export const AMOUNT_SCHEMA = '{"type":"number","exclusiveMinimum":0}';

export class Account {
  open: bool = false;
  currency: string = "";
  balance: f64 = 0;
}

export abstract class BankHandler extends Handler {
  accounts: Map<string, Account> = new Map();

  apply(e: Event): void {
    const id = e.data.get("account_id").str() || "";
    let account: Account;
    if (this.accounts.has(id)) account = this.accounts.get(id);
    else {
      account = new Account();
      this.accounts.set(id, account);
    }
    if (e.is("OpenedAccount")) {
      account.open = true;
      account.currency = e.data.get("currency").str() || "";
    } else if (e.is("ReceivedFunds")) {
      account.balance += e.data.get("amount").num();
    } else if (e.is("SentFunds")) {
      account.balance -= e.data.get("amount").num();
    }
  }

  /** The open account with this id, or null after rejecting with account_not_found. */
  openAccount(r: Result, id: string): Account | null {
    if (this.accounts.has(id)) {
      const account = this.accounts.get(id);
      if (account.open) return account;
    }
    r.reject("account_not_found", `account ${id} does not exist`);
    return null;
  }
}

/** The amount field: a number greater than zero, or a rejection. */
export function positiveAmount(r: Result, input: Json): f64 {
  const amount = r.needNumber(input, "amount");
  if (!r.rejected && amount <= 0) r.reject("invalid_amount", "amount must be greater than zero");
  return amount;
}
