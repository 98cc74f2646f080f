/** Servers that do not answer as the API does, played by a raw TCP server: every surprise is a
 * clear error of the client's, and nothing about the client is faked. */

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { once } from "node:events";
import { test } from "node:test";
import {
  ApiError,
  ConnectionFailedError,
  ESRuntime,
  MalformedResponseError,
  RequestAbortedError,
  RequestTimeoutError,
  ServerError,
} from "@esruntime/sdk";
import { httpAnswer, RawServer, type Script } from "./support.js";

async function against<T>(script: Script, run: (esr: ESRuntime, server: RawServer) => Promise<T>, options = {}): Promise<T> {
  const server = await RawServer.start(script);
  try {
    return await run(new ESRuntime({ baseUrl: server.url, apiKey: "k", timeout: 30_000, ...options }), server);
  } finally {
    await server.stop();
  }
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  assert.ok(address !== null && typeof address === "object");
  probe.close();
  await once(probe, "close");
  return address.port;
}

test("a refused connection is a connection error", async () => {
  const url = `http://127.0.0.1:${await freePort()}/v1`;
  await assert.rejects(new ESRuntime({ baseUrl: url }).health(), (error: unknown) => {
    assert.ok(error instanceof ConnectionFailedError);
    assert.ok(error.message.startsWith(`GET /v1/health: cannot connect to ${url}`), error.message);
    assert.equal(error.code, null);
    return true;
  });
});

test("a server that accepts and closes the connection is a connection error, never a retry", async () => {
  await against(
    () => null,
    async (esr, server) => {
      await assert.rejects(esr.execute("deposit", { amount: 1 }), (error: unknown) => {
        assert.ok(error instanceof ConnectionFailedError, String(error));
        assert.match(error.message, /^POST \/v1\/commands\/deposit: the connection to .* failed/);
        return true;
      });
      assert.equal(server.requests.length, 1);
    },
  );
});

test("a server that never answers is a timeout", async () => {
  await against(
    () => "hold",
    async (esr) => {
      await assert.rejects(esr.execute("open_account", { account_id: "a1" }), (error: unknown) => {
        assert.ok(error instanceof RequestTimeoutError);
        assert.match(error.message, /no answer from http:\/\/127\.0\.0\.1:\d+\/v1 within 200 ms/);
        return true;
      });
    },
    { timeout: 200 },
  );
});

test("a call's own timeout overrides the client's", async () => {
  await against(
    () => "hold",
    async (esr) => {
      await assert.rejects(esr.health({ timeout: 100 }), /within 100 ms/);
    },
  );
});

test("an abort signal stops a call waiting for its answer", async () => {
  await against(
    () => "hold",
    async (esr, server) => {
      const controller = new AbortController();
      const call = esr.listHandlers({ signal: controller.signal });
      await server.received(1);
      controller.abort();
      await assert.rejects(call, RequestAbortedError);
      const already = AbortSignal.abort(new Error("gone"));
      await assert.rejects(esr.health({ signal: already }), (error: unknown) => {
        assert.ok(error instanceof RequestAbortedError);
        assert.equal((error.cause as Error).message, "gone");
        return true;
      });
      assert.equal(server.requests.length, 1, "an aborted signal sends nothing");
    },
  );
});

test("a body that is not JSON is malformed", async () => {
  await against(
    () => httpAnswer(200, "<html>Welcome to nginx</html>"),
    async (esr) => {
      await assert.rejects(esr.getSchema(), (error: unknown) => {
        assert.ok(error instanceof MalformedResponseError);
        assert.equal(error.message, 'GET /v1/schema: HTTP 200 with a body that is not JSON: "<html>Welcome to nginx</html>"');
        return true;
      });
    },
  );
});

const SHAPES: [unknown, string][] = [
  [{ status: "ok", events: [], position: "5" }, "$.position should be an integer or null, got string"],
  [{ status: "ok", position: 5 }, "$.events should be an array, got nothing"],
  [{ status: "ok", events: [7], position: 5 }, "$.events[0] should be an object, got number"],
  [{ status: "ok", events: [{ id: "e", type: "T", data: {}, timestamp: "now" }], position: 5 }, '$.events[0].timestamp should be an RFC 3339 time, got "now"'],
  [{ status: "rejected", code: "x" }, 'HTTP 200 with status "rejected", expected "ok"'],
  [[1, 2], "$ should be an object, got array"],
];

test("a command answer of the wrong shape names the JSON path", async () => {
  for (const [body, message] of SHAPES) {
    await against(
      () => httpAnswer(200, body),
      async (esr) => {
        await assert.rejects(esr.execute("deposit", { amount: 5 }), (error: unknown) => {
          assert.ok(error instanceof MalformedResponseError);
          assert.ok(error.message.startsWith("POST /v1/commands/deposit: "), error.message);
          assert.ok(error.message.includes(message), `${error.message} lacks ${message}`);
          return true;
        });
      },
    );
  }
});

test("a garbled retry count is malformed", async () => {
  await against(
    () => httpAnswer(200, { status: "ok", events: [], position: 3 }, { "X-Retry-Count": "many" }),
    async (esr) => {
      await assert.rejects(esr.execute("deposit", {}), /X-Retry-Count is "many", not a count/);
    },
  );
});

test("a body cut short is malformed", async () => {
  await against(
    () => httpAnswer(200, '{"status": "heal', {}, 200),
    async (esr) => {
      await assert.rejects(esr.health(), (error: unknown) => {
        assert.ok(error instanceof MalformedResponseError, String(error));
        assert.match(error.message, /sent an invalid HTTP response: the answer was cut short/);
        return true;
      });
    },
  );
});

test("an answer that is not HTTP is malformed", async () => {
  for (const raw of [Buffer.from("HELLO THERE\r\n\r\n"), Buffer.from("\x16\x03\x01\x02\x00garbage", "latin1")]) {
    await against(
      () => raw,
      async (esr) => {
        await assert.rejects(esr.health(), (error: unknown) => {
          assert.ok(error instanceof MalformedResponseError, String(error));
          assert.match(error.message, /sent an invalid HTTP response/);
          return true;
        });
      },
    );
  }
});

test("a proxy's error page is a server error without a code", async () => {
  const page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
  await against(
    () => httpAnswer(502, page, { "Content-Type": "text/html", "X-Request-ID": "req_proxy" }),
    async (esr) => {
      await assert.rejects(esr.listHandlers(), (error: unknown) => {
        assert.ok(error instanceof ServerError);
        assert.deepEqual([error.status, error.code, error.requestId], [502, null, "req_proxy"]);
        assert.match(error.message, /not the API's error body/);
        assert.match(error.message, /502 Bad Gateway/);
        return true;
      });
    },
  );
});

test("an unexpected error status is an ApiError with the body's code and request id", async () => {
  const body = { error: { code: "rate_limited", message: "slow down", request_id: "req_1" } };
  await against(
    () => httpAnswer(429, body),
    async (esr) => {
      await assert.rejects(esr.execute("deposit", {}), (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.constructor, ApiError);
        assert.deepEqual([error.status, error.code, error.message, error.requestId], [429, "rate_limited", "slow down", "req_1"]);
        return true;
      });
    },
  );
});

test("a redirect is not followed and says where it pointed", async () => {
  await against(
    () => httpAnswer(308, "", { Location: "https://elsewhere/v1/health" }),
    async (esr, server) => {
      await assert.rejects(esr.health(), /redirected to https:\/\/elsewhere\/v1\/health/);
      assert.equal(server.requests.length, 1);
    },
  );
});

test("an unexpected success status is malformed", async () => {
  await against(
    () => httpAnswer(202, { accepted: true }),
    async (esr) => {
      await assert.rejects(esr.getSchema(), (error: unknown) => error instanceof MalformedResponseError && /unexpected HTTP 202/.test(error.message));
    },
  );
});

test("an answer over the size limit is refused, declared or received", async () => {
  await against(
    () => httpAnswer(200, "{}", {}, 1e9),
    async (esr) => {
      await assert.rejects(esr.health(), /exceeds the client's limit of 67,108,864 bytes/);
    },
  );
  await against(
    () => chunked({ pad: "x".repeat(5000) }),
    async (esr) => {
      await assert.rejects(esr.health(), /exceeds the client's limit of 1,000 bytes/);
    },
    { maxResponseBytes: 1000 },
  );
});

/** An answer in chunked encoding, so that its size is not declared. */
function chunked(body: unknown): Buffer {
  const data = Buffer.from(JSON.stringify(body));
  const head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  return Buffer.concat([Buffer.from(head), Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n0\r\n\r\n")]);
}

test("pages that do not advance stop the iteration", async () => {
  const event = { id: "evt_1", type: "T", data: {}, domain_ids: {}, position: 1, timestamp: "2025-01-15T10:30:00Z" };
  await against(
    () => httpAnswer(200, { events: [event], next_position: 0, has_more: true }),
    async (esr) => {
      const seen = [];
      await assert.rejects(
        (async () => {
          for await (const e of esr.iterEvents()) seen.push(e);
        })(),
        /does not advance past 0/,
      );
      assert.equal(seen.length, 1);
    },
  );
});

test("an unhealthy server's answer is a health result", async () => {
  await against(
    () => httpAnswer(503, { status: "unhealthy", version: "0.1.0", umadb: "unreachable", store: "unreachable" }),
    async (esr) => {
      const health = await esr.health();
      assert.deepEqual(health, { status: "unhealthy", version: "0.1.0", healthy: false, details: { umadb: "unreachable", store: "unreachable" } });
    },
  );
});
