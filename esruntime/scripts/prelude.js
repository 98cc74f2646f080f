/* The script prelude, evaluated first in every fresh engine context; it evaluates to start().
 *
 * start(payloadJson) removes the engine globals the payload names, defines the globals
 * `context` (deep-frozen), `sdk` and `events` (frozen), compiles the script as the body of an
 * async function, runs it up to its first await, and returns ctl(op, data), which only the host
 * holds:
 *
 *   ctl("poll")          '{"calls":[[id,name,args],...],"done":null|{"ok":true}|{"ok":false,...}}'
 *                        takes the SDK calls queued since the last poll (the outbox)
 *
 * Log lines past maxLogLines are not queued but counted; the count is queued as one
 * ["log.dropped", [n]] call where those lines stood. Logging never throws, and log lines never
 * count against maxPending.
 *   ctl("settle", json)  settles calls: json is '[[id,true,value] | [id,false,message], ...]'
 *   ctl("output")        the JSON text of the script's result, once "done" says it completed
 *
 * Everything the bridge uses after the script starts is captured first, so a script replacing
 * JSON, Promise or Map breaks nothing but its own promises.
 */
(function (payloadJson) {
  "use strict";
  const G = globalThis, freeze = Object.freeze, define = Object.defineProperty,
    stringify = JSON.stringify, parse = JSON.parse, apply = Reflect.apply,
    join = Array.prototype.join, then = Promise.prototype.then, P = Promise, E = Error,
    S = String, waiting = new Map(), get = Map.prototype.get, del = Map.prototype.delete,
    set = Map.prototype.set, p = parse(payloadJson), limit = p.outputLimit;
  let outbox = [], queued = 0, next = 1, done = null, logged = 0, dropped = 0;
  for (let i = 0; i < p.remove.length; i++) {
    try {
      delete G[p.remove[i]];
    } catch (notConfigurable) {
      G[p.remove[i]] = undefined; /* a top-level `var` of the engine's own set-up */
    }
  }

  function freezeAll(value) {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
      freeze(value);
      const keys = Object.getOwnPropertyNames(value);
      for (let i = 0; i < keys.length; i++) freezeAll(value[keys[i]]);
    }
    return value;
  }

  function enqueue(name, args, answer) {
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    const list = [];
    for (let i = 0; i < n; i++) list[i] = args[i];
    const json = stringify(list);
    if (answer && queued >= p.maxPending) {
      throw new E("Too many SDK calls at once: " + p.maxPending + " are already queued");
    }
    flushDropped();
    const id = next++;
    outbox[outbox.length] = "[" + id + ',"' + name + '",' + json + "]";
    if (!answer) return undefined;
    queued++;
    const site = new E();
    return new P(function (resolve, reject) {
      apply(set, waiting, [id, [resolve, reject, site]]);
    });
  }

  function flushDropped() {
    if (dropped > 0) {
      outbox[outbox.length] = "[" + next++ + ',"log.dropped",[' + dropped + "]]";
      dropped = 0;
    }
  }

  function call(name, args) {
    return enqueue(name, args, true);
  }
  function log(name, args) {
    if (logged >= p.maxLogLines) {
      dropped++;
      return;
    }
    try {
      enqueue(name, args, false);
    } catch (notJson) {
      /* a message JSON cannot write (10n, a cycle) is logged as its text */
      try {
        enqueue(name, [S(args[0])], false);
      } catch (noText) {
        dropped++;
        return;
      }
    }
    logged++;
  }
  /* Literal methods: creating them costs less than building them from a table. */
  const api = {
    http: {
      get: function get() { return call("http.get", arguments); },
      post: function post() { return call("http.post", arguments); },
      put: function put() { return call("http.put", arguments); },
      delete: function () { return call("http.delete", arguments); },
      patch: function patch() { return call("http.patch", arguments); },
    },
    db: {
      query: function query() { return call("db.query", arguments); },
      queryOne: function queryOne() { return call("db.queryOne", arguments); },
      execute: function execute() { return call("db.execute", arguments); },
    },
    cache: {
      get: function get() { return call("cache.get", arguments); },
      set: function set() { return call("cache.set", arguments); },
      delete: function () { return call("cache.delete", arguments); },
      exists: function exists() { return call("cache.exists", arguments); },
      increment: function increment() { return call("cache.increment", arguments); },
    },
    log: {
      debug: function debug() { log("log.debug", arguments); },
      info: function info() { log("log.info", arguments); },
      warn: function warn() { log("log.warn", arguments); },
      error: function error() { log("log.error", arguments); },
    },
    events: { publish: function publish() { return call("events.publish", arguments); } },
  };
  api.db.transaction = freeze(async function transaction(fn) {
    if (typeof fn !== "function") throw new TypeError("sdk.db.transaction expects a function");
    const handle = await enqueue("db.begin", [], true), tx = {}, names = ["query", "queryOne", "execute"];
    for (let i = 0; i < 3; i++) {
      const name = names[i];
      tx[name] = freeze(function (sql, params) {
        return enqueue("db." + name, [sql, params === undefined ? null : params, handle], true);
      });
    }
    let result;
    try {
      result = await fn(freeze(tx));
    } catch (error) {
      try {
        await enqueue("db.rollback", [handle], true);
      } catch (ignored) {
        /* the script sees its own error, not the rollback's */
      }
      throw error;
    }
    await enqueue("db.commit", [handle], true);
    return result;
  });
  define(G, "context", { value: freezeAll(p.context), enumerable: true });
  define(G, "sdk", {
    value: freeze({
      http: freeze(api.http),
      db: freeze(api.db),
      cache: freeze(api.cache),
      log: freeze(api.log),
    }),
    enumerable: true,
  });
  define(G, "events", { value: freeze(api.events), enumerable: true });

  function fail(reason) {
    /* Describe the thrown value; never throws itself. */
    let error;
    try {
      error = typeof reason === "object" && reason !== null
        ? {
            name: S(reason.name === undefined ? "Error" : reason.name),
            message: S(reason.message === undefined ? "" : reason.message),
            stack: typeof reason.stack === "string" ? reason.stack : null,
          }
        : { name: "Error", message: S(reason), stack: null };
    } catch (e) {
      error = { name: "Error", message: "uncaught exception that cannot be described" };
    }
    if (done === null) done = { ok: false, error: error };
  }

  function finish(value) {
    let json;
    try {
      json = stringify(value);
    } catch (error) {
      return fail(error);
    }
    if (json === undefined) json = "null";
    if (done === null) {
      done = json.length > limit
        ? { ok: false, error: { name: "OutputLimitError", message: "" } }
        : { ok: true, output: json };
    }
  }

  try {
    const AsyncFunction = (async function () {}).constructor, body = "\n".repeat(p.padding) + p.source;
    const script = new AsyncFunction(body);
    /* quickjs-ng parses the body inside its wrapper text: a body closing the wrapper compiles. */
    if (typeof script !== "function" ||
        apply(Function.prototype.toString, script, []) !== "async function anonymous(\n) {\n" + body + "\n}") {
      throw new SyntaxError("Unexpected '}': the script closes its own function body");
    }
    apply(then, script(), [finish, fail]);
  } catch (error) {
    fail(error);
  }

  return function ctl(op, data) {
    if (op === "poll") {
      flushDropped();
      const calls = apply(join, outbox, [","]);
      outbox = [];
      queued = 0;
      const state = done === null ? "null" : done.ok ? '{"ok":true}' : stringify(done);
      /* join makes a flat string: the Python binding cannot read quickjs-ng's rope strings */
      return apply(join, ['{"calls":[', calls, '],"done":', state, "}"], [""]);
    }
    if (op === "output") return done.output;
    const replies = parse(data);
    for (let i = 0; i < replies.length; i++) {
      const reply = replies[i], entry = apply(get, waiting, [reply[0]]);
      if (entry === undefined) continue;
      apply(del, waiting, [reply[0]]);
      if (reply[1]) {
        entry[0](reply[2]);
      } else {
        const error = new E(reply[2]);
        define(error, "stack", { value: entry[2].stack, writable: true, configurable: true });
        entry[1](error);
      }
    }
  };
})
