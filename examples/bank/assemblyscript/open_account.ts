// open_account: open an account for an owner, holding one currency.
import { Json, Manifest, Result, register } from "../../../sdk/assemblyscript/assembly";
import { BankHandler, TEXT_SCHEMA } from "./bank";
export * from "../../../sdk/assemblyscript/assembly/abi";

class OpenAccount extends BankHandler {
  describe(m: Manifest): void {
    m.command("open_account", "1.0.0")
      .description("Open an account for an owner, holding one currency.")
      .reads("OpenedAccount", ["account_id"])
      .binds("account_id", "account_id")
      .emits("OpenedAccount")
      .inputSchema(
        '{"type":"object","properties":{' +
          `"account_id":${TEXT_SCHEMA},"owner":${TEXT_SCHEMA},` +
          '"currency":{"type":"string","enum":["EUR","USD","GBP"]}},' +
          '"required":["account_id","owner","currency"]}',
      );
  }

  validate(input: Json, r: Result): void {
    r.needString(input, "account_id");
    r.needString(input, "owner");
    const currency = input.get("currency");
    if (!currency.is("EUR") && !currency.is("USD") && !currency.is("GBP")) {
      r.reject("invalid_input", "currency must be one of EUR, USD, GBP");
    }
  }

  handle(input: Json, r: Result): void {
    const id = input.get("account_id").str()!;
    if (this.accounts.has(id) && this.accounts.get(id).open) {
      r.reject("account_already_open", `account ${id} is already open`);
      return;
    }
    r.emit("OpenedAccount")
      .putString("account_id", id)
      .putJson("owner", input.get("owner"))
      .putJson("currency", input.get("currency"));
  }
}

register(() => new OpenAccount());
