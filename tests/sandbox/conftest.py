"""Helpers for the sandbox behaviour tests: an authenticated API client."""

import uuid

import pytest
import requests

IMAGES = "/v1/compute/images"


class Api:
    """requests against one sandbox with a bearer token and a fresh x-request-id per call."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()
        self.session.trust_env = False
        self.token = server.access_token()

    def request(self, method: str, path: str, *, headers=None, **kwargs) -> requests.Response:
        base = {"Authorization": f"Bearer {self.token}", "x-request-id": str(uuid.uuid4())}
        base.update(headers or {})
        return self.session.request(
            method, self.server.url + path, headers=base, timeout=15, **kwargs
        )

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def create(self, url: str, **fields) -> str:
        """Create a custom image; return its id."""
        body = {"name": "custom", "url": url, "osType": "Linux", "version": "1", **fields}
        response = self.request("POST", IMAGES, json=body)
        assert response.status_code == 201, response.text
        return response.json()["data"][0]["imageId"]

    def image(self, image_id: str) -> dict:
        response = self.get(f"{IMAGES}/{image_id}")
        assert response.status_code == 200, response.text
        return response.json()["data"][0]

    def listing(self, **params) -> dict:
        response = self.get(IMAGES, params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def api(sandbox):
    return Api(sandbox)
