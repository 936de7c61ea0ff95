"""The LLM coding agent that writes asset families (Messages API tool use), its transcripts and replays.

Needs the ``anthropic`` package (extra ``llm``) only to talk to the API (:func:`make_client`, only with
``ANTHROPIC_API_KEY`` set); replays and tests run offline with recorded or scripted responses.
"""

from asset_gen.agent.loop import AgentResult, run_agent
from asset_gen.agent.run import DEFAULT_MODEL, KEY_NEEDED, AgentRun, AgentSettings, agent_generate, make_client, replay
from asset_gen.agent.tools import ToolBox, ToolOutcome
from asset_gen.agent.transcript import ReplayClient, Transcript, read_transcript

__all__ = [
    "DEFAULT_MODEL", "KEY_NEEDED", "AgentResult", "AgentRun", "AgentSettings", "ReplayClient", "ToolBox",
    "ToolOutcome", "Transcript", "agent_generate", "make_client", "read_transcript", "replay", "run_agent",
]
