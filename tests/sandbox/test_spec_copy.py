"""The sandbox's vendored spec is the team's shared copy, byte for byte."""

from pathlib import Path

from testkit.requirements import missing

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "sandbox" / "spec" / "images-openapi.json"
SHARED = ROOT.parent / "shared" / "contabo" / "images-openapi.json"


def test_vendored_spec_matches_the_shared_one():
    if not SHARED.exists():
        missing(str(SHARED), "CI lays shared/ beside the clone")
    assert VENDORED.read_bytes() == SHARED.read_bytes()
