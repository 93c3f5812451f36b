"""The spec's example payloads, shared by the client's unit tests."""

IMAGE_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
IMAGE = {
    "imageId": IMAGE_ID,
    "tenantId": "DE",
    "customerId": "12345",
    "name": "Custom Image Ubuntu",
    "description": "Ubuntu Server 20.04.2 LTS",
    "url": "https://example.com/image.qcow2",
    "sizeMb": 1024,
    "uploadedSizeMb": 1024,
    "osType": "Linux",
    "version": "20.04.2",
    "format": "iso",
    "status": "Pending",
    "errorMessage": "Error downloading image from provided URL",
    "standardImage": True,
    "creationDate": "2021-06-03T06:27:12.000Z",
    "lastModifiedDate": "2021-06-04T06:27:12.000Z",
}
STATS_DATA = {
    "tenantId": "DE",
    "customerId": "54321",
    "currentImagesCount": 4,
    "totalSizeMb": 102400,
    "usedSizeMb": 55000,
    "freeSizeMb": 47400,
}
STATS_BODY = {"data": [STATS_DATA], "_links": {"self": "/v1/compute/images/stats"}}
