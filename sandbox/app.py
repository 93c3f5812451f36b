"""Wires one sandbox together: settings, store, knobs, tokens and downloads."""

import logging
import secrets

from sandbox.auth import Tokens
from sandbox.catalog import standard_images
from sandbox.config import Settings
from sandbox.downloads import RESTART_MESSAGE, Downloads
from sandbox.faults import Faults
from sandbox.store import Store

log = logging.getLogger(__name__)


class App:
    """The state shared by all request handlers."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.state)
        self.faults = Faults(settings)
        secret = self.store.meta("jwt_secret", lambda: secrets.token_hex(32))
        self.tokens = Tokens(settings, self.faults, bytes.fromhex(secret))
        self.downloads = Downloads(self.store, self.faults)
        if not self.store.has_standard_images():
            self.store.insert_many(standard_images(settings.tenant_id, settings.customer_id))
        interrupted = self.store.fail_interrupted(RESTART_MESSAGE)
        if interrupted:
            log.info("marked %d interrupted downloads as error", interrupted)

    def close(self) -> None:
        self.store.close()
