"""The tool-use loop: ask the model, run the tools it calls, feed the results back, until a family is
accepted or the budget (turns, tokens) is spent.

The client is passed in (``anthropic.Anthropic``, a :class:`~asset_gen.agent.transcript.ReplayClient` or a
test double): anything with ``messages.create(**kwargs) -> anthropic.types.Message``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asset_gen.agent.prompt import NUDGE, SYSTEM, TOOLS
from asset_gen.agent.tools import ToolBox
from asset_gen.agent.transcript import Transcript
from asset_gen.generated import GeneratedFamily
from twin.errors import TwinError

MAX_RESPONSE_TOKENS = 8192
"""Output tokens asked for per response (less when the budget's remainder is smaller)."""


@dataclass(frozen=True)
class AgentResult:
    """How an agent run ended.

    Args:
        family: The accepted family, or None.
        stop: ``"accepted"``, ``"turns"`` (turn budget spent), ``"tokens"`` (token budget spent) or
            ``"gave_up"`` (the model stopped calling tools).
        turns: Messages API calls made.
        tokens: Input plus output tokens used.
        verdicts: Every submit_family verdict, in order.
        last_code: The most recently written family code (a draft when nothing was accepted).
    """

    family: GeneratedFamily | None
    stop: str
    turns: int
    tokens: int
    verdicts: tuple[dict[str, Any], ...] = field(default=())
    last_code: str | None = None


def _block_param(block: Any) -> dict[str, Any] | None:
    """A response content block as a request content block (kinds the loop does not use are dropped)."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if block.type == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if block.type == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    return None


def _call(client: Any, **kwargs: Any):
    try:
        return client.messages.create(**kwargs)
    except TwinError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] != "anthropic":
            raise
        raise TwinError(f"the Messages API call failed: {type(exc).__name__}: {exc}") from None


def run_agent(
    prompt: str,
    client: Any,
    toolbox: ToolBox,
    transcript: Transcript,
    *,
    model: str,
    max_turns: int,
    max_tokens: int,
) -> AgentResult:
    """Run the agent on ``prompt`` until a family is accepted or the budget is spent.

    Args:
        prompt: What to build ("steel shelving unit, 4 shelves").
        client: Has ``messages.create(**kwargs) -> anthropic.types.Message``.
        toolbox: Executes the tools (holds the sandbox settings and the seed).
        transcript: Receives every request, response and tool call.
        model: Model name.
        max_turns: Most Messages API calls.
        max_tokens: Most input plus output tokens over the whole run.

    Raises:
        TwinError: a Messages API call failed.
    """
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    sent = 0
    tokens = turns = 0
    verdicts: list[dict[str, Any]] = []
    nudged = False
    stop = "turns"
    while turns < max_turns:
        remaining = max_tokens - tokens
        if remaining <= 0:
            stop = "tokens"
            break
        budget = min(MAX_RESPONSE_TOKENS, remaining)
        transcript.request(turns, messages[sent:], budget)
        sent = len(messages)
        response = _call(client, model=model, max_tokens=budget, system=SYSTEM, tools=TOOLS, messages=messages)
        transcript.response(turns, response)
        turns += 1
        tokens += int(response.usage.input_tokens) + int(response.usage.output_tokens)
        content = [b for b in (_block_param(block) for block in response.content) if b is not None]
        messages.append({"role": "assistant", "content": content})
        uses = [block for block in response.content if block.type == "tool_use"]
        if not uses:
            if nudged:
                stop = "gave_up"
                break
            nudged = True
            messages.append({"role": "user", "content": NUDGE})
            continue
        results, accepted = [], None
        for block in uses:
            outcome = toolbox.call(block.name, dict(block.input or {}))
            transcript.tool(turns - 1, block.id, block.name, block.input, outcome)
            results.append({"type": "tool_result", "tool_use_id": block.id, "content": outcome.content,
                            "is_error": outcome.is_error})
            if outcome.verdict is not None:
                verdicts.append(outcome.verdict)
            accepted = accepted or outcome.accepted
        messages.append({"role": "user", "content": results})
        if accepted is not None:
            return _end(transcript, AgentResult(accepted, "accepted", turns, tokens, tuple(verdicts), accepted.code))
    return _end(transcript, AgentResult(None, stop, turns, tokens, tuple(verdicts), toolbox.last_code))


def _end(transcript: Transcript, result: AgentResult) -> AgentResult:
    transcript.end(stop=result.stop, turns=result.turns, tokens=result.tokens,
                   accepted=result.family.name if result.family else None)
    return result
