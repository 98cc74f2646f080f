"""A script is the body of an async function: what it returns, awaits and throws (every engine)."""

from __future__ import annotations

import pytest

from tests.scripts.engines.conftest import CONTEXT, Js


def test_the_returned_value_is_the_output_as_json(js: Js) -> None:
    assert js.output("return 1 + 1") == 2
    assert js.output("return {a: [1, 'two', null, true], b: {c: 1.5}}") == {
        "a": [1, "two", None, True],
        "b": {"c": 1.5},
    }
    assert js.output("return 'héllo ☃ \\ud83d\\ude00'") == "héllo ☃ 😀"


def test_nothing_returned_is_null_and_json_conversion_applies(js: Js) -> None:
    assert js.output("const x = 1") is None
    assert js.output("return undefined") is None
    assert js.output("return {f() {}, u: undefined, d: new Date(0), n: NaN}") == {
        "d": "1970-01-01T00:00:00.000Z",
        "n": None,
    }


def test_top_level_await_works(js: Js) -> None:
    assert js.output("const v = await Promise.resolve(41); await null; return v + 1") == 42
    source = "async function twice(x) { await null; return 2 * x }\nreturn await twice(21)"
    assert js.output(source) == 42


def test_an_sdk_call_reaches_the_host_with_json_arguments(js: Js) -> None:
    output = js.output(
        "return await sdk.http.post('https://x.test/a', {n: 1}, {headers: {a: 'b'}})"
    )
    assert output == {
        "name": "http.post",
        "args": ["https://x.test/a", {"n": 1}, {"headers": {"a": "b"}}],
    }
    assert js.host.calls == [("http.post", output["args"])]


def test_trailing_undefined_arguments_are_dropped(js: Js) -> None:
    js.output("await sdk.cache.set('k', 1, undefined); await sdk.cache.get('k', undefined)")
    assert js.host.calls == [("cache.set", ["k", 1]), ("cache.get", ["k"])]
    js.output("await sdk.cache.set('k', undefined, 5)")
    assert js.host.calls == [("cache.set", ["k", None, 5])]


def test_every_sdk_method_is_a_host_call_of_its_name(js: Js) -> None:
    source = """
    await sdk.http.get('u'); await sdk.http.put('u', 1); await sdk.http.delete('u');
    await sdk.http.patch('u', 2);
    await sdk.db.query('select 1', []); await sdk.db.queryOne('select 1', []);
    await sdk.db.execute('delete from t', []);
    await sdk.cache.delete('k'); await sdk.cache.exists('k'); await sdk.cache.increment('k', 2);
    sdk.log.debug('d'); sdk.log.warn('w', {x: 1}); sdk.log.error('e');
    return await events.publish('order.updated', {id: 1})
    """
    assert js.output(source) == {"name": "events.publish", "args": ["order.updated", {"id": 1}]}
    assert js.host.names() == [
        "http.get",
        "http.put",
        "http.delete",
        "http.patch",
        "db.query",
        "db.queryOne",
        "db.execute",
        "cache.delete",
        "cache.exists",
        "cache.increment",
        "log.debug",
        "log.warn",
        "log.error",
        "events.publish",
    ]


def test_sequential_calls_run_in_order(js: Js) -> None:
    source = (
        "const out = [];\nfor (let i = 0; i < 5; i++) out.push((await sdk.cache.get(i)).args[0]);"
    )
    source += "\nreturn out"
    assert js.output(source) == [0, 1, 2, 3, 4]
    assert js.host.calls == [("cache.get", [i]) for i in range(5)]


def test_promise_all_runs_the_calls_concurrently(js: Js) -> None:
    source = "return await Promise.all([0, 1, 2].map(i => sdk.http.get('meet', 3, i)))"
    outputs = js.output(source)
    assert [o["args"][2] for o in outputs] == [0, 1, 2]
    assert sorted(args[2] for _, args in js.host.calls) == [0, 1, 2]


def test_log_calls_return_undefined_and_all_reach_the_host_in_order(js: Js) -> None:
    source = "const r = sdk.log.info('one', {a: 1}); sdk.log.info('two'); return typeof r"
    assert js.output(source) == "undefined"
    assert js.host.calls == [("log.info", ["one", {"a": 1}]), ("log.info", ["two"])]


def test_calls_not_awaited_still_complete_before_the_run_ends(js: Js) -> None:
    assert js.output("sdk.http.get('sleep', 50); sdk.cache.set('k', 1); return 'early'") == "early"
    assert sorted(js.host.names()) == ["cache.set", "http.get"]


def test_an_sdk_error_is_a_catchable_error_with_the_message(js: Js) -> None:
    source = """
    try { await sdk.http.get('fail') } catch (e) {
      return [e instanceof Error, e.name, e.message]
    }"""
    assert js.output(source) == [True, "Error", "Rate limit exceeded"]


def test_an_uncaught_sdk_error_fails_the_run_at_the_calling_line(js: Js) -> None:
    result = js.run("const a = 1;\n\n  await sdk.db.query('fail', [])")
    assert result.status == "failed"
    assert result.error is not None
    assert (result.error.name, result.error.message) == ("Error", "Rate limit exceeded")
    assert (result.error.line, result.error.column) == (3, 16)


def test_a_host_failure_is_an_internal_sdk_error(js: Js, caplog: pytest.LogCaptureFixture) -> None:
    source = "const m = []; for (const x of ['crash', 'not json']) {\n"
    source += "  try { await sdk.cache.get(x) } catch (e) { m.push(e.message) } }\nreturn m"
    assert js.output(source) == ["Internal SDK error", "Internal SDK error"]
    if not js.engine.startswith("pool-"):
        assert "the host broke" in caplog.text


def test_promise_all_rejects_with_the_first_failure(js: Js) -> None:
    source = "try { await Promise.all([sdk.http.get('ok'), sdk.http.get('fail')]) }"
    source += " catch (e) { return e.message }"
    assert js.output(source) == "Rate limit exceeded"


def test_a_transaction_begins_passes_its_handle_and_commits(js: Js) -> None:
    source = """
    const out = await sdk.db.transaction(async (tx) => {
      await tx.execute('update t set a = $1', [1]);
      return (await tx.queryOne('select a from t')).args;
    });
    return out"""
    assert js.output(source) == ["select a from t", None, "tx-1"]
    assert js.host.calls == [
        ("db.begin", []),
        ("db.execute", ["update t set a = $1", [1], "tx-1"]),
        ("db.queryOne", ["select a from t", None, "tx-1"]),
        ("db.commit", ["tx-1"]),
    ]


def test_a_transaction_rolls_back_when_its_function_throws_and_rethrows(js: Js) -> None:
    source = """
    try {
      await sdk.db.transaction(async (tx) => {
        await tx.query('select 1', []);
        throw new Error('no');
      });
    } catch (e) { return e.message }"""
    assert js.output(source) == "no"
    assert js.host.names() == ["db.begin", "db.query", "db.rollback"]


def test_a_transaction_needs_a_function(js: Js) -> None:
    result = js.run("await sdk.db.transaction(42)")
    assert result.error is not None
    assert (result.error.name, result.error.message) == (
        "TypeError",
        "sdk.db.transaction expects a function",
    )
    assert js.host.calls == []


def test_arguments_that_are_not_json_reject_the_call(js: Js) -> None:
    source = (
        "const a = {}; a.self = a;\ntry { await sdk.http.post('u', a) } catch (e) { return e.name }"
    )
    assert js.output(source) == "TypeError"
    assert js.host.calls == []


def test_a_log_message_that_is_not_json_is_logged_as_its_text(js: Js) -> None:
    source = (
        "const a = {toString() { return 'a cycle' }}; a.self = a;\n"
        "sdk.log.info(10n); sdk.log.warn(a, {n: 1}); return 'logged'"
    )
    assert js.output(source) == "logged"
    assert js.host.calls == [("log.info", ["10"]), ("log.warn", ["a cycle"])]


def test_thrown_errors_report_name_message_line_and_column(js: Js) -> None:
    source = "const x = 1;\nfunction check(v) {\n  if (v) throw new RangeError('too big: ' + v);\n}"
    source += "\ncheck(x)"
    result = js.run(source)
    assert result.status == "failed"
    error = result.error
    assert error is not None
    assert (error.name, error.message, error.line) == ("RangeError", "too big: 1", 3)
    assert isinstance(error.column, int)
    assert 9 <= error.column <= 45
    assert error.stack is not None
    assert error.stack.startswith("RangeError: too big: 1\n    at check (script:3:")
    assert "prelude" not in error.stack
    assert "<input>" not in error.stack


def test_runtime_type_errors_point_at_the_failing_expression(js: Js) -> None:
    result = js.run("\n\nconst o = null;\nreturn o.field")
    assert result.error is not None
    nested = js.run("\nfunction f(o) {\n  return o.field\n}\nf(null)")
    assert nested.error is not None
    if js.engine.endswith("dukpy"):
        # dukpy's QuickJS build only knows where each function starts (none for the top level)
        assert (result.error.line, nested.error.line) == (None, 2)
    else:
        assert (result.error.name, result.error.line) == ("TypeError", 4)
        assert (nested.error.name, nested.error.line) == ("TypeError", 3)


def test_syntax_errors_report_the_line_in_the_script(js: Js) -> None:
    result = js.run("const a = 1;\nconst b = 2;\nlet = = 3;")
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.name == "SyntaxError"
    assert result.error.line == 3


def test_thrown_values_that_are_not_errors_fail_with_their_text(js: Js) -> None:
    for source, message in [("throw 'plain'", "plain"), ("throw 42", "42")]:
        result = js.run(source)
        assert result.error is not None
        assert (result.status, result.error.name, result.error.message) == (
            "failed",
            "Error",
            message,
        )


def test_a_script_that_awaits_forever_fails_as_stalled(js: Js) -> None:
    result = js.run("await new Promise(() => {})")
    assert result.status == "failed"
    assert result.error is not None
    assert result.error.name == "StalledScriptError"


def test_the_context_is_exactly_the_spec_shape(js: Js) -> None:
    assert js.output("return context") == {
        "tenantId": "tenant-1",
        "userId": 7,
        "organizationId": None,
        "scriptId": "script-1",
        "executionId": "execution-1",
        "input": {"amount": 12, "tags": ["a", "b"]},
        "trigger": {
            "type": "manual",
            "eventType": None,
            "eventPayload": None,
            "httpRequest": None,
            "cronExpression": None,
        },
    }
    assert js.output("return Object.keys(context)") == list(CONTEXT)


def test_the_context_is_deeply_frozen(js: Js) -> None:
    source = """
    'use strict';
    const attempts = [
      () => { context.tenantId = 'other' },
      () => { context.input.amount = 1 },
      () => { context.input.tags.push('c') },
      () => { context.trigger.type = 'cron' },
      () => { delete context.userId },
      () => { context.extra = 1 },
    ];
    const failed = attempts.filter(f => {
      try { f(); return false } catch (e) { return e instanceof TypeError }
    });
    const {tags, amount} = context.input;
    return [failed.length, Object.isFrozen(tags), context.tenantId, amount]"""
    assert js.output(source) == [6, True, "tenant-1", 12]


def test_the_sdk_globals_are_frozen_and_cannot_be_replaced(js: Js) -> None:
    source = """
    'use strict';
    const attempts = [
      () => { sdk.http.get = () => 'stolen' }, () => { sdk.db = null },
      () => { sdk.extra = 1 }, () => { events.publish = null }, () => { globalThis.sdk = {} },
      () => { delete globalThis.context }, () => { sdk.log.info = null },
    ];
    return attempts.filter(f => { try { f(); return false } catch (e) { return true } }).length"""
    assert js.output(source) == 7
    assert js.output(
        "return [Object.isFrozen(sdk), Object.isFrozen(sdk.cache), Object.isFrozen(events)]"
    ) == [
        True,
        True,
        True,
    ]
