"""State lives in the SQLite file: a restarted sandbox keeps images, tokens stay valid, and
downloads cut short by the restart end as `error`."""

import pytest

from sandbox.testing import SandboxServer
from testkit.waiting import wait_for
from tests.sandbox.conftest import IMAGES, Api


@pytest.fixture
def own_server(tmp_path):
    server = SandboxServer(state=tmp_path / "state.sqlite3", bandwidth_mbps=1000)
    yield server.start()
    server.close()


def test_restart_keeps_images_and_marks_interrupted_downloads_as_error(own_server):
    api = Api(own_server)
    done = api.create(own_server.file_url("kept.qcow2", 1), name="kept")
    wait_for(lambda: api.image(done)["status"] == "downloaded", message="download")
    own_server.set_faults(bandwidth_mbps=0.5)
    cut = api.create(own_server.file_url("cut.qcow2", 50), name="cut")
    wait_for(lambda: api.image(cut)["uploadedSizeMb"] > 0, message="first bytes")
    port = own_server.port

    own_server.stop()
    own_server.start()

    assert own_server.port == port
    kept = api.image(done)  # the old token is still valid: the signing secret is in the state
    assert (kept["name"], kept["status"], kept["sizeMb"]) == ("kept", "downloaded", 1)
    interrupted = api.image(cut)
    assert interrupted["status"] == "error"
    assert "restarted" in interrupted["errorMessage"]
    assert api.get(f"{IMAGES}/stats").json()["data"][0]["currentImagesCount"] == 2
    assert own_server.faults()["bandwidth_mbps"] == 1000  # knobs are not state
