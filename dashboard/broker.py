"""The embedded filesystem broker (kombu's), with each message written atomically.

kombu writes a message file in place, and a worker listing the folder may move and read it
before the writer has written a byte: it reads an empty file, cannot parse it and stops with
"Unrecoverable error: JSONDecodeError". Here a message is written under a name no reader picks up
(`.part` after the queue's suffix), then renamed into place, which is atomic within one folder.
Importing this module makes `filesystem://` URLs use it (dashboard/celery.py does).
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        try:
            with open(final + ".part", "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(final + ".part", final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
