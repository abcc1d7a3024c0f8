import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

FIXTURES = Path(os.environ.get("PEC_FIXTURES_DIR") or Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "pec")


@pytest.fixture(scope="session")
def sandbox():
    """The running sandbox's settings. `make test` exports them; without them this is a failure,
    not a skip: the self-test exists to prove the sandbox works."""
    if os.environ.get("PEC_SANDBOX") != "1":
        pytest.fail("PEC_SANDBOX is not set: run the self-test through `make test` or `make sandbox-test`")
    env = os.environ
    return {
        "host": env["PEC_SANDBOX_HOST"],
        "imaps_port": int(env["PEC_SANDBOX_IMAPS_PORT"]),
        "smtps_port": int(env["PEC_SANDBOX_SMTPS_PORT"]),
        "ca_file": env["PEC_SANDBOX_CA_FILE"],
        "dir": Path(env["PEC_SANDBOX_DIR"]),
        "users": env["PEC_SANDBOX_USERS"].split(),
        "password": env["PEC_SANDBOX_PASSWORD"],
        "slow_seconds": float(env["PEC_SANDBOX_SLOW_SECONDS"]),
    }


def read_env_file(path: Path) -> dict:
    """The `export NAME=value` / `export NAME='value'` lines sandbox.sh writes to DIR/env."""
    out = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.removeprefix("export ").partition("=")
        if line.startswith("export ") and sep:
            out[name] = value[1:-1] if value[:1] == value[-1:] == "'" else value
    return out


@pytest.fixture(scope="session")
def rem_sandbox():
    """The REM-mode sandbox `make test` starts beside the PEC one ($PEC_REM_SANDBOX_DIR/env). Without it this is
    a failure, not a skip, as for the PEC sandbox."""
    directory = os.environ.get("PEC_REM_SANDBOX_DIR")
    if not directory:
        pytest.fail("PEC_REM_SANDBOX_DIR is not set: run the self-test through `make test`, or start a sandbox with "
                    "PEC_SANDBOX_STANDARD=rem (own DIR and ports) and export PEC_REM_SANDBOX_DIR=DIR")
    env_file = Path(directory) / "env"
    if not env_file.is_file():
        pytest.fail(f"no sandbox in {directory} (no env file)")
    env = read_env_file(env_file)
    if env.get("PEC_SANDBOX_STANDARD") != "rem":
        pytest.fail(f"the sandbox in {directory} is not in REM mode (PEC_SANDBOX_STANDARD={env.get('PEC_SANDBOX_STANDARD')})")
    return {
        "host": env["PEC_SANDBOX_HOST"],
        "imaps_port": int(env["PEC_SANDBOX_IMAPS_PORT"]),
        "smtps_port": int(env["PEC_SANDBOX_SMTPS_PORT"]),
        "ca_file": env["PEC_SANDBOX_CA_FILE"],
        "dir": Path(env["PEC_SANDBOX_DIR"]),
        "password": env["PEC_SANDBOX_PASSWORD"],
        "slow_seconds": float(env["PEC_SANDBOX_SLOW_SECONDS"]),
        "rem_cert_file": env["PEC_SANDBOX_REM_CERT_FILE"],
        "rem_service_address": env["PEC_SANDBOX_REM_SERVICE_ADDRESS"],
    }


@pytest.fixture(scope="session")
def rem_fixtures_dir():
    path = FIXTURES.parent / "rem"
    if not path.is_dir():
        pytest.skip(f"no real REM fixtures at {path}")
    return path


@pytest.fixture(scope="session")
def fixtures_dir():
    if not FIXTURES.is_dir():
        pytest.skip(f"no real PEC fixtures at {FIXTURES}")
    return FIXTURES
