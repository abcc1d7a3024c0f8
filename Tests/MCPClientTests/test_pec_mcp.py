"""pec-mcp driven by the official Python MCP client over stdio, as Claude Desktop or Cursor would."""

import asyncio
import json
import os
import subprocess
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

BIN = Path(os.environ.get("PEC_BIN_DIR") or Path(__file__).resolve().parents[2] / ".build" / "debug")


async def _session(action):
    server = StdioServerParameters(command=str(BIN / "pec-mcp"), args=[])
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            return init, await action(session)


def run(action):
    return asyncio.run(asyncio.wait_for(_session(action), timeout=60))


def test_initialize_and_tool_list():
    async def tools(session):
        return (await session.list_tools()).tools
    init, tools = run(tools)
    assert init.server_info.name == "pec-mcp"
    assert init.capabilities.tools is not None
    providers = next(t for t in tools if t.name == "pec_providers")
    assert providers.annotations.read_only_hint is True
    assert providers.annotations.destructive_hint is False
    assert providers.input_schema["type"] == "object"
    assert providers.output_schema["required"] == ["providers"]


def test_pec_providers_returns_what_pec_providers_json_prints():
    async def call(session):
        return await session.call_tool("pec_providers", {})
    _, result = run(call)
    assert result.is_error is False
    cli = subprocess.run([str(BIN / "pec"), "providers", "--json"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0
    assert result.structured_content["providers"] == [json.loads(line) for line in cli.stdout.splitlines()]
    text = "".join(c.text for c in result.content if c.type == "text")
    assert "imaps.pec.aruba.it" in text


def test_unknown_tool_is_a_tool_error_not_a_crash():
    async def call(session):
        bad = await session.call_tool("pec_nope", {})
        good = await session.call_tool("pec_providers", {})
        return bad, good
    _, (bad, good) = run(call)
    assert bad.is_error is True
    assert "unknown tool" in bad.content[0].text
    assert bad.structured_content["error"]["kind"] == "usage"
    assert good.is_error is False, "the server keeps serving after a bad call"
