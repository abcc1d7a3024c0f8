"""A reader that goes away (`pec providers | head -1`, an agent that read one record): pec stops quietly with
exit 0, never a crash report; a disk that is full is an error that says so. No server needed."""
import os
import subprocess
from pathlib import Path

BIN = Path(os.environ.get("PEC_BIN_DIR") or Path(__file__).resolve().parents[2] / ".build" / "debug")


def run_into(stdout, args, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "LANG": "C.UTF-8"}
    return subprocess.run([str(BIN / "pec"), *args], stdout=stdout, stderr=subprocess.PIPE, env=env, text=True,
                          timeout=60)


def test_a_closed_pipe_ends_pec_quietly(tmp_path):
    for args in (["providers"], ["providers", "--json"], ["--version"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before pec writes anything
        try:
            run = run_into(write_end, args, tmp_path)
        finally:
            os.close(write_end)
        assert run.returncode == 0, f"{args}: {run.stderr}"
        assert run.stderr == "", f"{args}: {run.stderr[:500]}"


def test_a_full_disk_is_an_error(tmp_path):
    with open("/dev/full", "w") as full:
        run = run_into(full, ["providers"], tmp_path)
    assert run.returncode == 1
    assert "cannot write the output: No space left on device" in run.stderr
    assert "Fatal error" not in run.stderr
