"""The one error type handlers raise; the server turns it into a JSON answer."""


class ApiError(Exception):
    """An HTTP error answered as `{"statusCode": status, "message": message}`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
