"""`pec-mcp install` and `uninstall` on real files, in a temporary HOME: for each client, a configuration
that already has other servers and other settings, merged into and taken out of without losing anything.

Needs only the built binary (no server, no network).
"""

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

BIN = Path(os.environ.get("PEC_BIN_DIR") or Path(__file__).resolve().parents[2] / ".build" / "debug")
PEC_MCP = BIN / "pec-mcp"

CLIENTS = ["claude-desktop", "cursor", "continue", "zed"]

# The user's own settings, in each client's file: another server (with a secret of its own) and other keys.
OTHER_SERVER = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": {"GITHUB_TOKEN": "ghp_x"}}

# Zed's settings as Zed writes them: JSON with comments and trailing commas.
ZED_SETTINGS = """// Zed settings
//
// For information on how to configure Zed, see the Zed
// documentation: zed.dev/docs/configuring-zed
{
  "theme": "One Dark", // the dark one
  /* MCP servers */
  "context_servers": {
    "github": {
      "command": "npx", // runs the server
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_TOKEN": "ghp_x" },
    },
  },
  "vim_mode": true,
}
"""


class Home:
    def __init__(self, root: Path):
        self.root = root
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(root / "config"),
            "LANG": "C.UTF-8",
        }

    def run(self, *args):
        return subprocess.run(
            [str(PEC_MCP), *args], capture_output=True, text=True, env=self.env, timeout=30, cwd=self.root
        )

    def config(self, client, name="pec"):
        return {
            "claude-desktop": self.root / "config" / "Claude" / "claude_desktop_config.json",
            "cursor": self.root / ".cursor" / "mcp.json",
            "continue": self.root / ".continue" / "mcpServers" / f"{name}.json",
            "zed": self.root / "config" / "zed" / "settings.json",
        }[client]


@pytest.fixture
def home(tmp_path):
    return Home(tmp_path)


def servers_key(client):
    return "context_servers" if client == "zed" else "mcpServers"


def existing_text(client):
    if client == "zed":
        return ZED_SETTINGS
    document = {"globalShortcut": "Ctrl+Space", "mcpServers": {"github": OTHER_SERVER}, "theme": "dark"}
    return json.dumps(document, indent=4) + "\n"


def load(client, path: Path):
    """The file's content as data: Zed's comments and trailing commas taken out first (the fixtures
    have no // inside strings)."""
    text = path.read_text()
    if client == "zed":
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        text = re.sub(r"//[^\n]*", "", text)
        text = re.sub(r",(\s*[}\]])", r"\1", text)
    return json.loads(text)


def write_existing(home, client):
    path = home.config(client)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(existing_text(client))
    path.chmod(0o644)
    return path


def backups(path: Path):
    """The backups beside a file, oldest first."""
    return sorted(path.parent.glob(path.name + ".*.bak"), key=lambda p: p.stat().st_mtime_ns)


def snapshot(path: Path):
    info = path.stat()
    return path.read_bytes(), info.st_mtime_ns, stat.S_IMODE(info.st_mode)


def expected_entry(args):
    return {"command": os.path.realpath(PEC_MCP), "args": args}


def entry_of(client, path, name="pec"):
    entry = load(client, path)[servers_key(client)][name]
    # The command is this pec-mcp by its absolute path (possibly through a link): compare files.
    assert os.path.isabs(entry["command"]) and os.path.samefile(entry["command"], PEC_MCP), entry
    return {**entry, "command": os.path.realpath(entry["command"])}


@pytest.mark.parametrize("client", CLIENTS)
def test_install_merges_into_a_file_with_other_servers(home, client):
    path = write_existing(home, client)
    before = path.read_bytes()

    run = home.run("install", "--client", client, "--read-only", "--account", "mario.rossi@pec.it")

    assert run.returncode == 0, run.stderr
    assert str(path) in run.stdout
    data = load(client, path)
    assert data[servers_key(client)]["github"] == OTHER_SERVER
    if client == "zed":
        assert data["theme"] == "One Dark" and data["vim_mode"] is True
    else:
        assert data["globalShortcut"] == "Ctrl+Space" and data["theme"] == "dark"
    assert set(data[servers_key(client)]) == {"github", "pec"}
    assert entry_of(client, path) == expected_entry(["--account", "mario.rossi@pec.it", "--read-only"])
    # The previous file, byte for byte, beside it; the mode kept.
    [backup] = backups(path)
    assert backup.read_bytes() == before
    assert str(backup) in run.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert "password" not in path.read_text().lower()


@pytest.mark.parametrize("client", CLIENTS)
def test_install_again_changes_nothing(home, client):
    path = write_existing(home, client)
    assert home.run("install", "--client", client, "--read-only").returncode == 0
    first = snapshot(path)
    made = backups(path)

    again = home.run("install", "--client", client, "--read-only")

    assert again.returncode == 0, again.stderr
    assert "already" in again.stdout and "nothing changed" in again.stdout
    assert snapshot(path) == first
    assert backups(path) == made


@pytest.mark.parametrize("client", CLIENTS)
def test_a_different_pec_entry_is_replaced_only_with_force(home, client):
    path = write_existing(home, client)
    assert home.run("install", "--client", client, "--account", "old@pec.it").returncode == 0
    before = snapshot(path)
    made = backups(path)

    refused = home.run("install", "--client", client, "--read-only")

    assert refused.returncode == 1
    assert refused.stderr.startswith("pec-mcp: error: ") and str(path) in refused.stderr
    assert "--force" in refused.stderr
    assert snapshot(path) == before and backups(path) == made

    forced = home.run("install", "--client", client, "--read-only", "--force")

    assert forced.returncode == 0, forced.stderr
    assert entry_of(client, path) == expected_entry(["--read-only"])
    assert load(client, path)[servers_key(client)]["github"] == OTHER_SERVER
    assert len(backups(path)) == len(made) + 1


@pytest.mark.parametrize("client", CLIENTS)
def test_dry_run_prints_the_snippet_and_writes_nothing(home, client):
    path = write_existing(home, client)
    before = snapshot(path)

    run = home.run("install", "--client", client, "--dry-run", "--read-only")

    assert run.returncode == 0, run.stderr
    assert str(path) in run.stdout and "Would add" in run.stdout
    snippet = json.loads(run.stdout[run.stdout.index("\n{") :])
    assert snippet[servers_key(client)]["pec"]["args"] == ["--read-only"]
    assert snapshot(path) == before and backups(path) == []


@pytest.mark.parametrize("client", CLIENTS)
def test_dry_run_on_a_missing_file_creates_nothing(home, client):
    run = home.run("install", "--client", client, "--dry-run")

    assert run.returncode == 0, run.stderr
    assert not home.config(client).parent.exists()


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    "content, problem",
    [
        ('{ "mcpServers": { "github": ', "not valid JSON"),
        ("[1, 2]", "not hold a JSON object"),
        ('{ "mcpServers": ["x"], "context_servers": ["x"] }', "is not a JSON object"),
    ],
)
def test_a_file_that_cannot_be_merged_is_left_alone(home, client, content, problem):
    path = home.config(client)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    before = snapshot(path)

    run = home.run("install", "--client", client, "--read-only")

    assert run.returncode == 1
    assert run.stderr.startswith("pec-mcp: error: ") and str(path) in run.stderr and problem in run.stderr
    assert run.stdout == ""
    assert snapshot(path) == before and backups(path) == []
    assert home.run("uninstall", "--client", client).returncode == 1
    assert snapshot(path) == before


@pytest.mark.parametrize("client", ["claude-desktop", "cursor", "continue"])
def test_comments_in_a_plain_json_file_are_an_error(home, client):
    path = home.config(client)
    path.parent.mkdir(parents=True)
    path.write_text('{\n  // mine\n  "mcpServers": {}\n}\n')

    run = home.run("install", "--client", client)

    assert run.returncode == 1 and "line 2" in run.stderr and "comments" in run.stderr


@pytest.mark.parametrize("client", CLIENTS)
def test_uninstall_removes_only_ours(home, client):
    path = write_existing(home, client)
    original = path.read_bytes()
    assert home.run("install", "--client", client, "--read-only").returncode == 0
    installed = path.read_bytes()

    run = home.run("uninstall", "--client", client)

    assert run.returncode == 0, run.stderr
    data = load(client, path)
    assert "pec" not in data[servers_key(client)]
    assert data[servers_key(client)]["github"] == OTHER_SERVER
    # Taken out exactly as it went in: the user's file is back byte for byte.
    assert path.read_bytes() == original
    assert backups(path)[-1].read_bytes() == installed

    again = home.run("uninstall", "--client", client)

    assert again.returncode == 0, again.stderr
    assert "nothing to remove" in again.stdout
    assert path.read_bytes() == original


@pytest.mark.parametrize("client", CLIENTS)
def test_install_creates_a_missing_file_privately(home, client):
    path = home.config(client)

    run = home.run("install", "--client", client, "--read-only")

    assert run.returncode == 0, run.stderr
    assert entry_of(client, path) == expected_entry(["--read-only"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert backups(path) == []
    assert home.run("uninstall", "--client", client).returncode == 0
    # Continue's file is pec's own: it goes with the entry. The others keep an empty server list.
    if client == "continue":
        assert not path.exists()
    else:
        assert load(client, path)[servers_key(client)] == {}


def test_zed_comments_and_trailing_commas_are_kept(home):
    path = write_existing(home, "zed")

    assert home.run("install", "--client", "zed", "--read-only").returncode == 0

    text = path.read_text()
    for comment in ["// Zed settings", "// documentation: zed.dev/docs/configuring-zed", "// the dark one",
                    "/* MCP servers */", "// runs the server"]:
        assert comment in text
    # Only our entry was added: the rest of the text is the user's, in order.
    assert text.startswith(ZED_SETTINGS[: ZED_SETTINGS.index('    },\n  },')])
    assert entry_of("zed", path) == expected_entry(["--read-only"])


def test_continue_other_files_are_untouched(home):
    directory = home.root / ".continue" / "mcpServers"
    directory.mkdir(parents=True)
    other = directory / "github.json"
    other.write_text(json.dumps({"mcpServers": {"github": OTHER_SERVER}}))
    before = snapshot(other)

    assert home.run("install", "--client", "continue").returncode == 0
    assert home.run("uninstall", "--client", "continue").returncode == 0

    assert snapshot(other) == before


def test_sending_needs_allowed_recipients(home):
    path = write_existing(home, "cursor")
    before = snapshot(path)

    refused = home.run("install", "--client", "cursor", "--allow-send")

    assert refused.returncode == 1 and "--allow-recipient" in refused.stderr
    assert snapshot(path) == before

    allowed = home.run("install", "--client", "cursor", "--allow-send", "--allow-recipient", "@pec.comune.milano.it",
                       "--save-dir", str(home.root))

    assert allowed.returncode == 0, allowed.stderr
    assert entry_of("cursor", path)["args"] == [
        "--allow-send", "--allow-recipient", "@pec.comune.milano.it", "--save-dir", str(home.root)]


def test_config_override_name_and_json_record(home):
    path = home.root / "elsewhere" / "mcp.json"

    run = home.run("install", "--client", "cursor", "--config", "elsewhere/mcp.json", "--name", "pec-work",
                   "--account", "work", "--json")

    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["action"] == "created" and record["path"] == str(path) and record["backup"] is None
    assert record["entry"]["args"] == ["--account", "work"]
    assert entry_of("cursor", path, name="pec-work")["args"] == ["--account", "work"]


def test_a_linked_file_is_written_through_the_link(home):
    target = home.root / "dotfiles" / "mcp.json"
    target.parent.mkdir()
    target.write_text(existing_text("cursor"))
    link = home.config("cursor")
    link.parent.mkdir()
    link.symlink_to(target)

    assert home.run("install", "--client", "cursor").returncode == 0

    assert link.is_symlink()
    assert "pec" in load("cursor", target)["mcpServers"]


def test_the_server_is_still_the_default(home):
    help_text = home.run("--help")
    assert help_text.returncode == 0 and "install" in help_text.stdout and "--read-only" in help_text.stdout
    assert home.run("install", "--help").returncode == 0
    version = home.run("--version")
    assert version.returncode == 0 and version.stdout.startswith("pec-mcp ")
