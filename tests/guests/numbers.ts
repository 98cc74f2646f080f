// A test handler for the AssemblyScript SDK's numbers: "numbers" (an array) comes back as one
// event whose "bits" are each number's IEEE bits as Json.num read them and "texts" as putNumber
// writes them; "ints" holds Json.int's view (null when not an integer). "fail": true makes it
// call fail, "misuse": true write a field before any emit, "trap": true trap in trapDeliberately.
import { Handler, Json, Manifest, Result, fail, register } from "../../sdk/assemblyscript/assembly";
export * from "../../sdk/assemblyscript/assembly/abi";

function trapDeliberately(): void {
  unreachable();
}

class Numbers extends Handler {
  describe(m: Manifest): void {
    m.command("numbers", "1.0.0")
      .emits("Numbers")
      .inputSchema(
        '{"type":"object","properties":{"numbers":{"type":"array","items":{"type":"number"}}},' +
          '"required":["numbers"]}',
      );
  }

  handle(input: Json, r: Result): void {
    if (input.get("fail").bool()) {
      fail("asked_to_fail", "failing as asked (7)");
      return;
    }
    if (input.get("trap").bool()) trapDeliberately();
    if (input.get("misuse").bool()) r.putInt("early", 1);
    const items = input.get("numbers").items();
    r.emit("Numbers").beginArray("bits");
    for (let i = 0; i < items.length; i++) r.putInt(null, reinterpret<i64>(items[i].num()));
    r.end().beginArray("texts");
    for (let i = 0; i < items.length; i++) r.putNumber(null, items[i].num());
    r.end().beginArray("ints");
    for (let i = 0; i < items.length; i++) {
      if (items[i].isInt) r.putInt(null, items[i].int());
      else r.putNull(null);
    }
    r.end();
  }
}

register(() => new Numbers());
