// deposit: pay money into an open account (ReceivedFunds with no sender).
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { AMOUNT_SCHEMA, BankHandler, TEXT_SCHEMA, positiveAmount } from "./bank";
export * from "../../../sdk/assemblyscript/assembly/abi";

class Deposit extends BankHandler {
  describe(m: Manifest): void {
    m.command("deposit", "1.0.0")
      .description("Pay money into an open account.")
      .reads("OpenedAccount", ["account_id"])
      .binds("account_id", "account_id")
      .emits("ReceivedFunds")
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
    if (this.openAccount(r, id) === null) return;
    r.emit("ReceivedFunds")
      .putString("account_id", id)
      .putJson("amount", input.get("amount"))
      .putNull("sender_id");
  }
}

register(() => new Deposit());
