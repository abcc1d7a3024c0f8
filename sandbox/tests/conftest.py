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


@pytest.fixture(scope="session")
def fixtures_dir():
    if not FIXTURES.is_dir():
        pytest.skip(f"no real PEC fixtures at {FIXTURES}")
    return FIXTURES
