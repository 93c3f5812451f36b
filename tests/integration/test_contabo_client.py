"""ContaboClient end to end against the sandbox over real HTTP."""

import time

import pytest

from images.contabo import (
    AuthenticationError,
    ContaboClient,
    ContaboConfig,
    NotFound,
    RateLimited,
    TransientError,
    UnsupportedMediaType,
)


def make_client(sandbox, **kwargs):
    config = ContaboConfig(
        sandbox.url,
        sandbox.token_url,
        sandbox.client_id,
        sandbox.client_secret,
        sandbox.username,
        sandbox.password,
        **{"backoff_factor": 0, **kwargs},
    )
    return ContaboClient(config)


@pytest.fixture
def client(sandbox):
    with make_client(sandbox) as c:
        yield c


def test_all_six_operations(sandbox, client):
    sandbox.reset_calls()
    url = sandbox.file_url("ubuntu.qcow2", 1)
    created = client.create_image(
        name="Ubuntu Custom Image",
        url=url,
        os_type="Linux",
        version="20.04.2",
        description="Ubuntu Server 20.04.2 LTS",
        trace_id="it-flow",
    )
    assert created.image_id and created.request_id

    image = client.get_image(created.image_id, trace_id="it-flow")
    assert (image.image_id, image.name, image.url, image.os_type) == (
        created.image_id,
        "Ubuntu Custom Image",
        url,
        "Linux",
    )
    assert (image.tenant_id, image.customer_id) == (created.tenant_id, created.customer_id)
    assert image.format == "qcow2"
    assert image.standard_image is False
    assert image.creation_date.utcoffset().total_seconds() == 0

    page = client.list_images(name="Ubuntu Custom Image", standard_image=False)
    assert [i.image_id for i in page.images] == [created.image_id]
    assert page.total_elements == 1

    updated = client.update_image(created.image_id, name="Renamed", trace_id="it-flow")
    assert updated.image_id == created.image_id
    after = client.get_image(created.image_id)
    assert (after.name, after.description) == ("Renamed", "Ubuntu Server 20.04.2 LTS")

    stats = client.get_stats()
    assert stats.current_images_count == 1
    assert stats.free_size_mb == pytest.approx(stats.total_size_mb - stats.used_size_mb)

    deleted = client.delete_image(created.image_id)
    assert deleted.image_id == created.image_id
    with pytest.raises(NotFound):
        client.get_image(created.image_id)

    assert sandbox.calls() == {
        "retrieveImageList": 1,
        "retrieveImage": 3,
        "createCustomImage": 1,
        "updateImage": 1,
        "deleteImage": 1,
        "retrieveCustomImagesStats": 1,
        "token": 1,
    }


def test_iter_images_walks_250_images_in_three_list_calls(sandbox, client):
    seeded = set(sandbox.seed(250))
    sandbox.reset_calls()
    images = list(client.iter_images(size=100, standard_image=False))
    assert {i.image_id for i in images} == seeded
    assert len(images) == 250
    assert sandbox.calls()["retrieveImageList"] == 3


def test_list_filters_and_repeated_order_by(sandbox, client):
    sandbox.seed(5, name="alpha")
    sandbox.seed(5, name="beta")
    page = client.list_images(
        standard_image=False, order_by=["name:desc", "creationDate:asc"], size=100
    )
    names = [i.name for i in page.images]
    assert names == sorted(names, reverse=True)
    assert {i.standard_image for i in client.list_images(standard_image=True).images} == {True}
    # Seeded names get a numeric suffix; how `name` matches is not specified (sandbox: substring).
    alphas = client.list_images(name="alpha").images
    assert len(alphas) == 5
    assert all(i.name.startswith("alpha") for i in alphas)


def test_zip_url_is_unsupported_media_type(sandbox, client):
    sandbox.reset_calls()
    with pytest.raises(UnsupportedMediaType) as exc:
        client.create_image(
            name="zip", url=sandbox.file_url("image.zip", 1), os_type="Linux", version="1"
        )
    assert exc.value.status == 415
    assert exc.value.request_id in str(exc.value)
    assert str(exc.value).startswith("415 Unsupported Media Type")
    assert sandbox.calls()["createCustomImage"] == 1


def test_unknown_image_is_not_found(sandbox, client):
    for call in (client.get_image, client.delete_image):
        with pytest.raises(NotFound) as exc:
            call("no-such-image")
        assert exc.value.status == 404
        assert exc.value.request_id


def test_short_lived_tokens_are_renewed(sandbox, client):
    sandbox.set_faults(token_lifetime_s=2)
    sandbox.reset_calls()
    for _ in range(3):
        client.get_stats()
        time.sleep(1.2)
    client.get_stats()
    calls = sandbox.calls()
    assert calls["retrieveCustomImagesStats"] >= 4
    assert calls["token"] >= 3


def test_bad_credentials(sandbox):
    config = ContaboConfig(
        sandbox.url, sandbox.token_url, sandbox.client_id, "wrong", sandbox.username, "wrong"
    )
    with pytest.raises(AuthenticationError) as exc:
        ContaboClient(config).get_stats()
    assert "wrong" not in str(exc.value)


def test_gets_survive_rate_limiting(sandbox):
    sandbox.set_faults(rate_limit_rate=0.3, retry_after_s=0)
    sandbox.reset_calls()
    with make_client(sandbox, max_retries=10) as client:
        for _ in range(30):
            client.get_stats()
    assert sandbox.calls()["retrieveCustomImagesStats"] > 30


def test_gets_retry_injected_503s(sandbox):
    # The sandbox injects 500 and 503 half and half. 503 is retried; 500 is not in the
    # retry list, so it surfaces as a (retryable) TransientError.
    sandbox.set_faults(error_rate=0.4)
    sandbox.reset_calls()
    outcomes = []
    with make_client(sandbox, max_retries=10) as client:
        for _ in range(30):
            try:
                client.list_images(size=1)
                outcomes.append(200)
            except TransientError as exc:
                assert exc.retryable
                outcomes.append(exc.status)
    assert set(outcomes) <= {200, 500}
    assert outcomes.count(200) >= 10
    assert sandbox.calls()["retrieveImageList"] > 30


def test_post_is_never_retried_under_faults(sandbox, client):
    sandbox.set_faults(error_rate=1.0)
    sandbox.reset_calls()
    with pytest.raises(TransientError):
        client.create_image(
            name="n", url=sandbox.file_url("a.iso", 1), os_type="Linux", version="1"
        )
    sandbox.set_faults(error_rate=0, rate_limit_rate=1.0, retry_after_s=0)
    with pytest.raises(RateLimited):
        client.create_image(
            name="n", url=sandbox.file_url("a.iso", 1), os_type="Linux", version="1"
        )
    assert sandbox.calls()["createCustomImage"] == 2
