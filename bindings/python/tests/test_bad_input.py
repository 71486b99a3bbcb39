"""Bad input gets a clear exception (what was wrong, with the value, and what is accepted) or a
documented default, never a crash of the interpreter; a Rust panic reaches Python as an
exception."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

import cutover
from cutover_served import CutoverServer

FLAGS = {"flags": [{"key": "checkout", "enabled": True, "stage": "production",
                    "rollout_percent": 100, "killed": False, "stickiness": "user_id",
                    "version": 4}]}


@pytest.fixture
def client(tmp_path: Path) -> cutover.Client:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(FLAGS))
    return cutover.Client.offline(path, env={})


@pytest.mark.parametrize(
    "ctx, message",
    [
        ([("user_id", "u1")], r"the context is a list \(\[\('user_id', 'u1'\)\]\), not a dict"),
        ("user_id=u1", r"the context is a str \('user_id=u1'\), not a dict"),
        ({"user_id": None}, r'context value for "user_id" is a NoneType \(None\); accepted: str, int, float or bool'),
        ({"tags": ["a", "b"]}, r'context value for "tags" is a list \(\[\'a\', \'b\'\]\); accepted: str, int, float or bool'),
        ({"at": datetime.date(2026, 1, 2)}, r'context value for "at" is a date \(datetime.date\(2026, 1, 2\)\)'),
        ({42: "u1"}, r"context key 42 is an int; context keys are str"),
    ],
)
def test_a_context_that_is_not_a_dict_of_scalars_is_a_type_error(
    client: cutover.Client, ctx: object, message: str
) -> None:
    for evaluate in (client.is_new, client.decide, client.view().is_new):
        with pytest.raises(TypeError, match=message):
            evaluate("checkout", ctx)
    with pytest.raises(TypeError, match=message):
        client.flag("checkout").is_new(ctx)


def test_a_float_json_cannot_spell_is_a_value_error(client: cutover.Client) -> None:
    with pytest.raises(ValueError, match=r'context value for "score" is NaN, which JSON cannot spell'):
        client.is_new("checkout", {"score": float("nan")})


def test_numbers_and_booleans_take_their_json_spelling(tmp_path: Path) -> None:
    # A flag scoped to tenant 42, beta testers and a score of 1.5: rules written as text match
    # the Python values.
    flag = dict(FLAGS["flags"][0], scope=[
        {"attribute": "tenant", "op": "in", "values": ["42"]},
        {"attribute": "beta", "op": "in", "values": ["true"]},
        {"attribute": "score", "op": "in", "values": ["1.5"]},
    ])
    path = tmp_path / "flags.json"
    path.write_text(json.dumps({"flags": [flag]}))
    client = cutover.Client.offline(path, env={})
    assert client.is_new("checkout", {"user_id": "u", "tenant": 42, "beta": True, "score": 1.5})
    assert not client.is_new("checkout", {"user_id": "u", "tenant": 42, "beta": 1, "score": 1.5})
    decision = client.decide("checkout", {"user_id": "u", "tenant": "42", "beta": False, "score": 1.5})
    assert decision.as_dict()["reason"] == {"kind": "out_of_scope", "attribute": "beta"}


def test_an_unknown_flag_answers_legacy(client: cutover.Client) -> None:
    assert client.is_new("no-such-flag", {"user_id": "u1"}) is False
    decision = client.decide("no-such-flag", {"user_id": "u1"})
    assert (decision.variant, decision.reason, decision.flag_version) == ("legacy", "flag_not_found", 0)
    assert client.flag("no-such-flag").is_new({"user_id": "u1"}) is False


def test_a_flag_name_that_is_not_a_str_is_a_type_error(client: cutover.Client) -> None:
    for call in (client.is_new, client.decide):
        with pytest.raises(TypeError, match=r"flag name \['checkout'\] is a list; flag names are str"):
            call(["checkout"], {"user_id": "u1"})
    with pytest.raises(TypeError, match="flag names are str"):
        client.record(None, "new")


def test_a_name_that_cannot_be_a_flag_key_answers_the_default(client: cutover.Client) -> None:
    assert client.is_new("Not A Flag!", {"user_id": "u1"}) is False
    assert client.decide("Not A Flag!").reason == "flag_not_found"


def test_a_flag_name_that_cannot_be_a_flag_is_a_value_error(client: cutover.Client) -> None:
    with pytest.raises(ValueError, match="flag key"):
        client.flag("Not A Flag!")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda c: c.record("checkout", "newer"), ValueError,
         r"arm 'newer' is not an arm; accepted: \"legacy\", \"new\" or a Decision"),
        (lambda c: c.record("checkout", "new", "fast"), TypeError,
         r"latency is a str \('fast'\); accepted: seconds as a float or int, or a datetime.timedelta"),
        (lambda c: c.record("checkout", "new", -1.0), ValueError,
         r"latency is -1 s; accepted: a finite number of seconds, 0 or more"),
        (lambda c: c.record("checkout", "new", counters={"invalid_json"}), ValueError,
         r'no counter "invalid_json" on this client; name the service\'s counters when connecting'),
        (lambda c: c.record("checkout", "new", counters="invalid_json"), TypeError,
         r"counters is the str 'invalid_json'; pass a set or list of counter names"),
        (lambda c: c.shadow("checkout", legacy=lambda: 1, new=lambda r: 1, compare={"fields": {"a": {"rule": "nearly"}}}),
         ValueError, r"invalid comparison spec: .*nearly"),
        (lambda c: c.shadow("checkout", legacy=lambda: 1, new=lambda r: 1, sample=150), ValueError,
         r"sample 150"),
        (lambda c: c.on_change("not callable"), TypeError,
         r"on_change takes a callable, called with each change; got 'not callable'"),
    ],
)
def test_bad_arguments_say_what_is_accepted(client: cutover.Client, call, error, message) -> None:
    with pytest.raises(error, match=message):
        call(client)


def test_record_takes_timedeltas_and_decisions(client: cutover.Client) -> None:
    decision = client.decide("checkout", {"user_id": "u1"})
    client.record("checkout", decision, datetime.timedelta(milliseconds=3))
    client.flag("checkout").record("legacy", 0.001, error=True, fallback=True, retry=True)


def test_a_missing_or_broken_flag_file_is_a_flag_file_error(tmp_path: Path) -> None:
    with pytest.raises(cutover.FlagFileError, match="cannot read the flag file"):
        cutover.Client.offline(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(cutover.FlagFileError, match="neither a cutover export"):
        cutover.Client.offline(broken)


def test_an_invalid_environment_override_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(json.dumps(FLAGS))
    with pytest.raises(ValueError, match="CUTOVER_FLAG_CHECKOUT"):
        cutover.Client.offline(path, env={"CUTOVER_FLAG_CHECKOUT": "perhaps"})


def test_an_invalid_url_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"invalid server URL .*not a url"):
        cutover.Client.connect("not a url", "cut_x", initial_timeout=0.1)


def test_an_unreachable_server_is_a_connect_error() -> None:
    with pytest.raises(cutover.ConnectError, match=r"no flags from http://127.0.0.1:9 within 0 s"):
        cutover.Client.connect("http://127.0.0.1:9", "cut_x", initial_timeout=0.2)


def test_a_wrong_token_is_a_connect_error(server: CutoverServer) -> None:
    with pytest.raises(cutover.ConnectError, match="check the URL and the token"):
        cutover.Client.connect(server.url, "cut_wrong", initial_timeout=0.5)


def test_invalid_counter_names_are_refused(server: CutoverServer, sdk_token: str) -> None:
    with pytest.raises(ValueError, match=r'invalid counter name "Bad Name"'):
        cutover.Client.connect(server.url, sdk_token, counters=["Bad Name"])


def test_a_rust_panic_is_a_python_exception() -> None:
    with pytest.raises(cutover.PanicException, match="on purpose"):
        cutover._native._panic_for_tests("on purpose")
    # The interpreter is fine afterwards.
    assert cutover.PanicException.__mro__[1] is BaseException


def test_a_panic_in_a_shadow_runs_new_path_counts_as_a_panic(client: cutover.Client) -> None:
    def new(read_only):
        cutover._native._panic_for_tests("the new path panicked")

    assert client.shadow("checkout", {"user_id": "u1"}, legacy=lambda: 7, new=new) == 7
    report = client.shadow_report("checkout")
    assert (report["runs"], report["new_panics"], report["compared"]) == (1, 1, 0)
