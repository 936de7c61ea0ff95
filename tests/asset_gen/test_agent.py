"""The agent offline: a scripted client with real-shaped responses, a family repaired after a failed
validation, budgets, transcripts without keys, and an offline replay that reproduces the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("anthropic", reason="the agent tests need the anthropic SDK (extra 'llm')")

from asset_gen.agent import KEY_NEEDED, AgentSettings, agent_generate, make_client, replay
from asset_gen.agent.tools import ToolBox, size_check
from asset_gen.sandbox import SandboxLimits
from tests.asset_gen.scripted import GOOD_LOCKER, MODEL, ScriptedClient, message, repair_script, text, use
from twin.errors import TwinError
from twin.executor import make_executor
from twin.validation import validate_path

FAKE_KEY = "sk-ant-api03-FAKE-never-write-me-0123456789"
SETTINGS = AgentSettings(model=MODEL, max_turns=10, max_tokens=100_000, seed=3, samples=2,
                         limits=SandboxLimits(cpu_seconds=20, wall_seconds=60))
INLINE = make_executor("inline")


def _all_text(root: Path) -> str:
    return "".join(p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def repaired_module(tmp_path_factory):
    """One agent run of the repair script with a fake key in the environment (shared: a few seconds of
    sandboxed builds)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
        out = tmp_path_factory.mktemp("agent") / "out"
        client = ScriptedClient(repair_script())
        run = agent_generate("a steel locker, 0.5 x 0.4 x 1.8 m, one door", out, client=client, settings=SETTINGS,
                             count=2, executor=INLINE, thumbnail=False)
        yield run, client, out


def test_a_family_failing_validation_is_repaired_and_accepted(repaired_module):
    run, client, _ = repaired_module
    assert run.result.stop == "accepted" and run.result.family.name == "locker"
    assert run.result.turns == 7 and run.result.tokens == 7 * 1500
    # The failed validation went back to the model as an error result naming the check and the joint.
    failed = next(b for b in client.requests[4]["messages"][-1]["content"] if b["type"] == "tool_result")
    assert failed["is_error"] is True
    report = json.loads(failed["content"])
    assert report["ok"] is False
    sweep = report["samples"][0]["report"]["checks"][5]
    assert sweep["name"] == "joint_sweep" and sweep["status"] == "fail"
    assert "locker_hinge" in sweep["findings"][0]["message"]
    assert report["size_check"]["ok"] is True
    # The picture came back as an image content block.
    rendered = client.requests[6]["messages"][-1]["content"][1]
    assert rendered["content"][1]["type"] == "image" or rendered["is_error"]
    # Every request carried the system prompt, the tools and the conversation so far.
    assert all(r["model"] == MODEL and r["tools"] and r["system"] for r in client.requests)
    assert len(client.requests[-1]["messages"]) == 13


def test_the_output_holds_code_provenance_transcript_and_valid_variants(repaired_module):
    run, _, out = repaired_module
    assert (out / "family" / "locker.py").read_text() == GOOD_LOCKER
    meta = json.loads((out / "family" / "asset.json").read_text())
    assert meta["accepted"] and meta["model"] == MODEL and meta["prompt"].startswith("a steel locker")
    assert meta["transcript_sha256"] == run.transcript_sha256
    assert [v["accepted"] for v in meta["verdicts"]] == [True]
    assert all(s["ok"] for s in meta["verdicts"][0]["samples"])
    records = [json.loads(line) for line in (out / "transcript.jsonl").read_text().splitlines()]
    assert records[0]["type"] == "meta" and records[-1] == {"type": "end", "stop": "accepted", "turns": 7,
                                                            "tokens": 10500, "accepted": "locker"}
    assert sum(r["type"] == "response" for r in records) == 7
    for k in range(2):
        asset = out / f"locker_{k}"
        assert validate_path(asset / "asset.xml").ok
        doc = json.loads((asset / "asset.json").read_text())
        assert doc["agent"]["transcript_sha256"] == run.transcript_sha256
        assert doc["family_code_sha256"] == run.result.family.code_sha256


def test_the_key_is_never_written(repaired_module):
    _, _, out = repaired_module
    assert FAKE_KEY not in _all_text(out)
    assert "x-api-key" not in _all_text(out).lower() and "authorization" not in _all_text(out).lower()


def test_replay_reproduces_the_run_offline(repaired_module, tmp_path, monkeypatch):
    run, _, out = repaired_module
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    again = replay(out / "transcript.jsonl", tmp_path / "again", executor=INLINE, thumbnail=False)
    assert again.divergences == 0
    assert again.result.family.code == run.result.family.code
    assert (tmp_path / "again" / "transcript.jsonl").read_text() == (out / "transcript.jsonl").read_text()
    first = json.loads((out / "assets.json").read_text())["assets"]
    second = json.loads((tmp_path / "again" / "assets.json").read_text())["assets"]
    assert [a["params"] for a in first] == [a["params"] for a in second]


def test_replay_that_diverges_says_so(repaired_module, tmp_path):
    _, _, out = repaired_module
    lines = (out / "transcript.jsonl").read_text().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(line for line in lines if '"msg_006"' not in line) + "\n")
    with pytest.raises(TwinError, match="the replay diverged: it needed response 7, the transcript holds 6"):
        replay(cut, tmp_path / "x", executor=INLINE, thumbnail=False)


def test_turn_budget_spent_leaves_a_draft_and_the_transcript(tmp_path):
    script = [message(k, [use(k, 0, "list_families")]) for k in range(3)]
    run = agent_generate("a bin", tmp_path / "o", client=ScriptedClient(script),
                         settings=AgentSettings(model=MODEL, max_turns=3), executor=INLINE)
    assert run.result.stop == "turns" and run.batch is None
    assert json.loads((tmp_path / "o" / "assets.json").read_text())["count"] == 0
    assert json.loads((tmp_path / "o" / "family" / "asset.json").read_text())["accepted"] is False


def test_token_budget_and_giving_up(tmp_path):
    heavy = [message(k, [use(k, 0, "list_families")], tokens=(40_000, 1000)) for k in range(5)]
    run = agent_generate("a bin", tmp_path / "t", client=ScriptedClient(heavy),
                         settings=AgentSettings(model=MODEL, max_turns=10, max_tokens=100_000), executor=INLINE)
    assert run.result.stop == "tokens" and run.result.turns == 3
    quiet = [message(0, [text("I cannot.")], stop="end_turn"), message(1, [text("Really.")], stop="end_turn")]
    client = ScriptedClient(quiet)
    run = agent_generate("a bin", tmp_path / "q", client=client, settings=AgentSettings(model=MODEL), executor=INLINE)
    assert run.result.stop == "gave_up" and run.result.turns == 2
    assert "submit_family" in client.requests[1]["messages"][-1]["content"]  # nudged once


def test_hostile_family_code_is_refused_as_a_tool_error():
    box = ToolBox(seed=0)
    outcome = box.call("write_family", {"name": "evil", "code": "import os\nos.system('id')\n"})
    assert outcome.is_error and "import of 'os' is not allowed" in outcome.content
    outcome = box.call("validate_family", {"name": "evil"})
    assert outcome.is_error and "no family 'evil' was written" in outcome.content
    assert box.call("frobnicate", {}).is_error


def test_size_check():
    assert size_check({"size": [1.0, 0.5, 2.0]}, [1.1, 0.5, 1.8])["ok"] is True
    assert size_check({"size": [1.0, 0.5, 2.0]}, [2.0, 0.5, 2.0])["ok"] is False


def test_no_key_means_a_clear_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(TwinError) as info:
        make_client()
    assert str(info.value) == KEY_NEEDED and "--family" in KEY_NEEDED


def test_the_real_sdk_over_a_mock_transport_keeps_the_key_out(tmp_path, monkeypatch):
    """The anthropic SDK itself (reading the key from the environment) talks to a mock transport."""
    anthropic = pytest.importorskip("anthropic")
    httpx2 = pytest.importorskip("httpx2")
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    script = [m.model_dump(mode="json") for m in repair_script()]
    headers = []

    def handler(request):
        headers.append(dict(request.headers))
        body = json.loads(request.content)
        assert body["tools"] and body["messages"][0]["role"] == "user"
        return httpx2.Response(200, json=script.pop(0))

    client = anthropic.Anthropic(http_client=httpx2.Client(transport=httpx2.MockTransport(handler)), max_retries=0)
    run = agent_generate("a steel locker", tmp_path / "sdk", client=client, settings=SETTINGS, count=1,
                         executor=INLINE, thumbnail=False)
    assert run.result.stop == "accepted" and len(headers) == 7
    assert any(FAKE_KEY in value for value in headers[0].values())  # the key did go to the API ...
    assert FAKE_KEY not in _all_text(tmp_path / "sdk")  # ... and nowhere else


def test_api_errors_become_one_line(tmp_path, monkeypatch):
    anthropic = pytest.importorskip("anthropic")
    httpx2 = pytest.importorskip("httpx2")

    def handler(request):
        return httpx2.Response(401, json={"type": "error", "error": {"type": "authentication_error",
                                                                     "message": "invalid x-api-key"}})

    client = anthropic.Anthropic(api_key=FAKE_KEY, max_retries=0,
                                 http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    with pytest.raises(TwinError, match="the Messages API call failed: AuthenticationError") as info:
        agent_generate("a bin", tmp_path / "e", client=client, settings=AgentSettings(model=MODEL))
    assert FAKE_KEY not in str(info.value)
    assert not (tmp_path / "e").exists()
