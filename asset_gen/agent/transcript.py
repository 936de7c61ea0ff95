"""JSONL transcripts of agent runs, and a client that replays one offline.

One JSON object per line, in order: ``meta`` (prompt, model, budget, seed, digest of the system prompt and
tools, versions), then per turn ``request`` (the messages added since the previous request), ``response``
(the Messages API response body, exactly as returned) and one ``tool`` record per tool call (its input,
whether it failed, its content with images replaced by their sha256, and a sha256 of the full content),
and finally ``end``. No headers, keys or client settings are ever recorded, and nothing time-dependent, so
a faithful replay writes a byte-identical transcript.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from twin.errors import InputError, TwinError

TRANSCRIPT_VERSION = 1


def _strip_images(content: Any) -> Any:
    """Content blocks with each image's base64 data replaced by its sha256 and size."""
    if not isinstance(content, list):
        return content
    out = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "image":
            raw = base64.b64decode(block["source"]["data"])
            out.append({"type": "image", "media_type": block["source"]["media_type"],
                        "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)})
        elif isinstance(block, dict) and block.get("type") == "tool_result":
            out.append({**block, "content": _strip_images(block.get("content"))})
        else:
            out.append(block)
    return out


def content_digest(content: Any) -> str:
    """sha256 of a tool result's content (images included), to detect replays that diverge."""
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class Transcript:
    """Appends records to a JSONL file as the run goes (a crash leaves what happened so far)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.write_text("")

    def _write(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def meta(self, **fields: Any) -> None:
        """The run's inputs."""
        self._write({"type": "meta", "version": TRANSCRIPT_VERSION, **fields})

    def request(self, turn: int, new_messages: list[dict[str, Any]], max_tokens: int) -> None:
        """What was sent at ``turn`` beyond the previous request."""
        messages = [{**m, "content": _strip_images(m["content"])} for m in new_messages]
        self._write({"type": "request", "turn": turn, "max_tokens": max_tokens, "messages": messages})

    def response(self, turn: int, message: Any) -> None:
        """The response body (an ``anthropic.types.Message``)."""
        self._write({"type": "response", "turn": turn, "message": message.model_dump(mode="json")})

    def tool(self, turn: int, tool_use_id: str, name: str, arguments: Any, outcome: Any) -> None:
        """One tool call and its result."""
        self._write({"type": "tool", "turn": turn, "id": tool_use_id, "name": name, "input": arguments,
                     "is_error": outcome.is_error, "content": _strip_images(outcome.content),
                     "content_sha256": content_digest(outcome.content)})

    def end(self, **fields: Any) -> None:
        """How the run ended."""
        self._write({"type": "end", **fields})

    def sha256(self) -> str:
        """sha256 of the transcript file so far."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def read_transcript(path: str | Path) -> list[dict[str, Any]]:
    """The records of a transcript.

    Raises:
        InputError: the file is missing, a line is not JSON, or it has no ``meta`` record first.
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InputError(f"cannot read the transcript: {exc.strerror}; expected a transcript.jsonl written by "
                         "twin assets generate", path) from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            raise InputError(f"line {number} is not JSON; expected one JSON object per line", path) from None
    if not records or records[0].get("type") != "meta":
        raise InputError("the first record is not a 'meta' record; expected a transcript written by "
                         "twin assets generate", path)
    if records[0].get("version") != TRANSCRIPT_VERSION:
        raise InputError(f"transcript version {records[0].get('version')!r} is not supported (expected "
                         f"{TRANSCRIPT_VERSION})", path)
    return records


class _ReplayMessages:
    def __init__(self, responses: list[dict[str, Any]], model: str):
        self._responses = list(responses)
        self._model = model
        self.calls = 0

    def create(self, **kwargs: Any):
        from anthropic.types import Message

        if kwargs.get("model") != self._model:
            raise TwinError(f"replay asked for model {kwargs.get('model')!r}, the transcript used {self._model!r}")
        if self.calls >= len(self._responses):
            raise TwinError(f"the replay diverged: it needed response {self.calls + 1}, the transcript holds "
                            f"{len(self._responses)}")
        message = Message.model_validate(self._responses[self.calls])
        self.calls += 1
        return message


class ReplayClient:
    """Stands in for ``anthropic.Anthropic``: ``messages.create`` returns the recorded responses in order."""

    def __init__(self, records: list[dict[str, Any]]):
        meta = records[0]
        self.messages = _ReplayMessages([r["message"] for r in records if r.get("type") == "response"],
                                        str(meta.get("model")))
        self.recorded_tools = [r for r in records if r.get("type") == "tool"]
