"""`make install-files` / `make uninstall` into a temporary PREFIX: binaries, bash/zsh/fish completions and man
pages, each checked by the tool that reads it; completion of --account and --folder through the real bash script.

`make install` is this plus the release build (that one is run by `make check-install`, on a fresh Debian).
Needs the debug build (PEC_BIN_DIR, set by `make test`), bash, zsh, fish and man (the test setup installs them).
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("PEC_BIN_DIR") or ROOT / ".build" / "debug")
SUBCOMMANDS = ["auth", "auth.login", "auth.status", "auth.logout", "auth.default", "list", "search", "folders",
               "mark-read", "mark-unread", "move", "get", "verify", "send", "trace", "sync", "status", "watch",
               "events", "evidence", "providers", "doctor"]


def make(*args, timeout=600):
    run = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefix")
    make("install-files", f"PREFIX={root}", f"BIN_DIR={BIN}")
    return root


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())


def test_every_file_in_its_standard_place(prefix):
    for tool in ["pec", "pec-mcp"]:
        assert os.access(prefix / "bin" / tool, os.X_OK)
        assert (prefix / "share/bash-completion/completions" / tool).stat().st_size > 0
        assert (prefix / "share/zsh/site-functions" / f"_{tool}").stat().st_size > 0
        assert (prefix / "share/fish/vendor_completions.d" / f"{tool}.fish").stat().st_size > 0
        assert (prefix / "share/man/man1" / f"{tool}.1").stat().st_size > 0
    for name in SUBCOMMANDS:
        assert (prefix / "share/man/man1" / f"pec.{name}.1").is_file(), name
    for name in ["install", "uninstall"]:
        assert (prefix / "share/man/man1" / f"pec-mcp.{name}.1").is_file(), name
    listed = (prefix / "share/pec/installed-files").read_text().split()
    assert sorted(listed) == files_under(prefix), "the manifest lists exactly what was installed"


@pytest.mark.parametrize("shell,path", [
    ("bash", "share/bash-completion/completions/{}"),
    ("zsh", "share/zsh/site-functions/_{}"),
    ("fish", "share/fish/vendor_completions.d/{}.fish"),
])
def test_completions_parse(prefix, shell, path):
    assert shutil.which(shell), f"{shell} is installed by scripts/install-test-deps.sh"
    for tool in ["pec", "pec-mcp"]:
        script = prefix / path.format(tool)
        check = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, f"{script}: {check.stderr}"
        assert "json" in script.read_text() or tool == "pec-mcp"


def test_man_pages_render(prefix):
    pages = sorted((prefix / "share/man/man1").glob("*.1"))
    assert len(pages) > len(SUBCOMMANDS)
    for page in pages:
        run = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "MANWIDTH": "80", "MAN_KEEP_FORMATTING": "0"})
        assert run.returncode == 0, f"{page}: {run.stderr}"
        assert run.stderr == "", f"{page} renders with warnings: {run.stderr}"
        text = re.sub(".\b", "", run.stdout)  # man's bold: a character, a backspace, the character again
        assert "NAME" in text and "SYNOPSIS" in text, page
    send = subprocess.run(["man", "-l", str(prefix / "share/man/man1/pec.send.1")], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "MANWIDTH": "100"}).stdout
    assert "--attach" in re.sub(".\b", "", send).replace("\u2010", "-")


def bash_complete(prefix, home, words):
    """Asks the installed bash completion of pec for candidates, as bash would at TAB after `words`."""
    line = " ".join(words)
    script = (f'source "{prefix}/share/bash-completion/completions/pec"; '
              f'COMP_WORDS=({" ".join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; '
              f'COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; '
              # bash calls a completion function with the command, the word at the cursor and the one before.
              f'_pec pec {words[-1]!r} {words[-2]!r}; printf "%s\\n" "${{COMPREPLY[@]}}"')
    env = {"PATH": f"{prefix}/bin:/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_STATE_HOME": str(home / "state"), "LANG": "C.UTF-8"}
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    return [line for line in run.stdout.splitlines() if line]


def test_account_and_folder_values_complete_from_saved_state(prefix, tmp_path):
    home = tmp_path
    config = home / "config/mayai-cli/pec"
    config.mkdir(parents=True, mode=0o700)
    endpoint = {"host": "imap.example.it", "port": 993, "security": "tls"}
    accounts = [{"name": name, "address": address, "imap": endpoint, "smtp": endpoint | {"port": 465},
                 "password_storage": "keyring"}
                for name, address in [("studio", "studio.rossi@pec.it"), ("anna", "anna.bianchi@pec.it")]]
    credentials = config / "credentials.json"
    credentials.write_text(json.dumps({"accounts": accounts}))
    credentials.chmod(0o600)
    assert bash_complete(prefix, home, ["pec", "list", "--account", ""]) == \
        ["studio", "studio.rossi@pec.it", "anna", "anna.bianchi@pec.it"]
    assert bash_complete(prefix, home, ["pec", "auth", "default", "an"]) == ["anna", "anna.bianchi@pec.it"]

    # Folders: what `pec folders` saw last for that account (here written as it writes it), no network.
    folders = home / "state/pec/folders"
    folders.mkdir(parents=True, mode=0o700)
    (folders / "anna.bianchi@pec.it").write_text("INBOX\nArchivio 2025\nPosta inviata\n")
    (folders / "anna.bianchi@pec.it").chmod(0o600)
    assert bash_complete(prefix, home, ["pec", "list", "--account", "anna", "--folder", ""]) == \
        ["INBOX", "Archivio 2025", "Posta inviata"]
    assert bash_complete(prefix, home, ["pec", "move", "3", "--account", "anna", "--to", "Pos"]) == ["Posta inviata"]
    # The default account (studio) has no folder list yet: INBOX only.
    assert bash_complete(prefix, home, ["pec", "trace", "x", "--folder", ""]) == ["INBOX"]


def test_uninstall_leaves_nothing(tmp_path):
    root = tmp_path / "prefix"
    make("install-files", f"PREFIX={root}", f"BIN_DIR={BIN}")
    assert len(files_under(root)) > 30
    # Somebody else's file in a shared directory stays.
    other = root / "share/man/man1/other.1"
    other.write_text(".Dd x\n")
    make("uninstall", f"PREFIX={root}")
    assert files_under(root) == ["share/man/man1/other.1"]
    other.unlink()
    make("uninstall", f"PREFIX={root}")  # twice: nothing to do, no error
    (root / "share/man/man1").rmdir()
    (root / "share/man").rmdir()
    (root / "share").rmdir()
    assert list(root.iterdir()) == []
