// transfer_funds: move money between two open accounts that hold the same currency.
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { AMOUNT_SCHEMA, BankHandler, TEXT_SCHEMA, positiveAmount } from "./bank";
export * from "../../../sdk/assemblyscript/assembly/abi";

class TransferFunds extends BankHandler {
  describe(m: Manifest): void {
    m.command("transfer_funds", "1.2.0")
      .description("Move money from one open account to another of the same currency.")
      .reads("OpenedAccount", ["account_id"])
      .reads("SentFunds", ["account_id"])
      .reads("ReceivedFunds", ["account_id"])
      .binds("source_account", "account_id")
      .binds("dest_account", "account_id")
      .emits("SentFunds")
      .emits("ReceivedFunds")
      .inputSchema(
        '{"type":"object","properties":{' +
          `"source_account":${TEXT_SCHEMA},"dest_account":${TEXT_SCHEMA},` +
          `"amount":${AMOUNT_SCHEMA}},` +
          '"required":["source_account","dest_account","amount"]}',
      );
  }

  validate(input: Json, r: Result): void {
    const source = r.needString(input, "source_account");
    const dest = r.needString(input, "dest_account");
    positiveAmount(r, input);
    if (!r.rejected && source == dest) {
      r.reject("same_account", "cannot transfer from an account to itself");
    }
  }

  handle(input: Json, r: Result): void {
    const sourceId = input.get("source_account").str()!;
    const destId = input.get("dest_account").str()!;
    const amount = input.get("amount");
    const source = this.openAccount(r, sourceId);
    if (source === null) return;
    const dest = this.openAccount(r, destId);
    if (dest === null) return;
    if (source.currency != dest.currency) {
      r.reject("currency_mismatch", `accounts ${sourceId} and ${destId} hold different currencies`);
      return;
    }
    if (source.balance < amount.num()) {
      r.reject("insufficient_funds", `account ${sourceId} has insufficient funds`);
      return;
    }
    r.emit("SentFunds")
      .putString("account_id", sourceId)
      .putJson("amount", amount)
      .putString("recipient_id", destId);
    r.emit("ReceivedFunds")
      .putString("account_id", destId)
      .putJson("amount", amount)
      .putString("sender_id", sourceId);
  }
}

register(() => new TransferFunds());
