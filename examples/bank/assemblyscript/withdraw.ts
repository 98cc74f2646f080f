// withdraw: take money out of an open account (SentFunds with no recipient).
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { AMOUNT_SCHEMA, BankHandler, TEXT_SCHEMA, positiveAmount } from "./bank";
export * from "../../../sdk/assemblyscript/assembly/abi";

class Withdraw extends BankHandler {
  describe(m: Manifest): void {
    m.command("withdraw", "1.0.0")
      .description("Take money out of an open account, never below zero.")
      .reads("OpenedAccount", ["account_id"])
      .reads("SentFunds", ["account_id"])
      .reads("ReceivedFunds", ["account_id"])
      .binds("account_id", "account_id")
      .emits("SentFunds")
      .inputSchema(
        '{"type":"object","properties":{' +
          `"account_id":${TEXT_SCHEMA},"amount":${AMOUNT_SCHEMA}},` +
          '"required":["account_id","amount"]}',
      );
  }

  validate(input: Json, r: Result): void {
    r.needString(input, "account_id");
    positiveAmount(r, input);
  }

  handle(input: Json, r: Result): void {
    const id = input.get("account_id").str()!;
    const amount = input.get("amount");
    const account = this.openAccount(r, id);
    if (account === null) return;
    if (account.balance < amount.num()) {
      r.reject("insufficient_funds", `account ${id} has insufficient funds`);
      return;
    }
    r.emit("SentFunds")
      .putString("account_id", id)
      .putJson("amount", amount)
      .putNull("recipient_id");
  }
}

register(() => new Withdraw());
