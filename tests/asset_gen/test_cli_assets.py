"""`twin assets` as a user meets it: families, generate (offline and agent), replay, errors and exit codes."""

from __future__ import annotations

import json

import pytest

import asset_gen.agent
from asset_gen.agent import KEY_NEEDED
from asset_gen.families import FAMILY_NAMES
from cli.main import main
from tests.asset_gen.scripted import MODEL, ScriptedClient, repair_script

FAKE_KEY = "sk-ant-api03-FAKE-cli-0123456789"


def test_families_lists_the_registry(capsys):
    assert main(["assets", "families", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [f["name"] for f in document["families"]] == list(FAMILY_NAMES)
    crate = document["families"][FAMILY_NAMES.index("crate")]
    assert {"name": "length", "type": "float", "low": 0.3, "high": 0.8, "default": 0.6, "unit": "m",
            "doc": "outer length along x"} in crate["parameters"]
    assert main(["assets", "families"]) == 0
    text = capsys.readouterr().out
    assert "cabinet" in text and "open_limit [1.5, 2.4] rad (1.6)" in text


def test_generate_from_a_family_offline(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    out = tmp_path / "drawers"
    code = main(["assets", "generate", "tool chest", "--family", "drawers", "--count", "2", "--seed", "1",
                 "--out", str(out), "--executor", "inline", "--no-thumbnails", "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] and document["count"] == 2 and document["family"] == "drawers"
    meta = json.loads((out / "drawers_0" / "asset.json").read_text())
    assert meta["prompt"] == "tool chest" and meta["provenance"]["command"] == "twin assets generate"


def test_generate_without_key_or_family_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["assets", "generate", "a steel shelf", "--out", str(tmp_path / "o")]) == 1
    assert " ".join(capsys.readouterr().err.split()) == f"error: {KEY_NEEDED}"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv", [
    ["assets", "generate", "--out", "x"],  # neither TEXT nor --family
    ["assets", "generate", "x", "--family", "crate", "--out", "o", "--count", "0"],
    ["assets", "generate", "x"],  # no --out
    ["assets", "frobnicate"],
])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2


def test_bad_input_is_one_line(tmp_path, capsys):
    assert main(["assets", "generate", "--family", "sofa", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown asset family 'sofa'; built-in families: bin,") and "Traceback" not in err
    assert main(["assets", "replay", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "r")]) == 1
    assert "cannot read the transcript" in capsys.readouterr().err


def test_agent_generate_and_replay_through_the_cli(tmp_path, capsys, monkeypatch):
    pytest.importorskip("anthropic", reason="needs the anthropic SDK (extra 'llm')")
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    monkeypatch.setattr(asset_gen.agent, "make_client", lambda: ScriptedClient(repair_script()))
    out = tmp_path / "locker"
    code = main(["assets", "generate", "a steel locker", "--out", str(out), "--model", MODEL, "--count", "1",
                 "--executor", "inline", "--no-thumbnails", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    assert document["accepted"] and document["family"] == "locker" and document["turns"] == 7
    assert FAKE_KEY not in captured.out + captured.err
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code = main(["assets", "replay", str(out / "transcript.jsonl"), "--out", str(tmp_path / "again"),
                 "--executor", "inline", "--no-thumbnails"])
    text = capsys.readouterr().out
    assert code == 0 and "replay: reproduced" in text and "family 'locker' accepted" in text
