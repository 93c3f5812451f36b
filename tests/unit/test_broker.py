"""The filesystem broker writes each message atomically: a reader never sees a half-written one
(kombu's own transport can hand a worker an empty file, which stops it)."""

from queue import Empty

import pytest
from kombu import Connection

from dashboard.broker import Transport


@pytest.fixture
def channel(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with Connection("filesystem://", transport=Transport, transport_options=options) as conn:
        yield conn.default_channel


def test_a_message_being_written_is_not_read(channel, tmp_path):
    # What kombu's writer leaves between creating the file and writing it, under our name.
    (tmp_path / "1_x.celery.msg.part").write_bytes(b"")
    with pytest.raises(Empty):
        channel._get("celery")


def test_messages_arrive_whole(channel, tmp_path):
    channel._put("celery", {"n": 1})
    channel._put("celery", {"n": 2})
    assert not list(tmp_path.glob("*.part"))
    got = [channel._get("celery"), channel._get("celery")]
    assert sorted(m["n"] for m in got) == [1, 2]
