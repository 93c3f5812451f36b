"""The standard images every sandbox starts with (fixed ids so tests and demos can rely on them)."""

from sandbox.store import new_image

_STANDARD = [
    # imageId, name, description, osType, version, format, sizeMb, url
    (
        "3f184ab8-a600-4e7c-8c9b-3413e21a3752",
        "ubuntu-22.04",
        "Ubuntu 22.04 LTS (Jammy Jellyfish)",
        "Linux",
        "22.04",
        "qcow2",
        2252.5,
        "https://cloud-images.ubuntu.com/jammy/current/jammy-server-cloudimg-amd64.img.qcow2",
    ),
    (
        "afecbb85-e2fc-46f0-9684-b46b1faf00bb",
        "ubuntu-24.04",
        "Ubuntu 24.04 LTS (Noble Numbat)",
        "Linux",
        "24.04",
        "qcow2",
        2355.25,
        "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img.qcow2",
    ),
    (
        "66abf39a-ba6b-4ed4-b9c2-c0e4f4a4f5f0",
        "debian-12",
        "Debian 12 (Bookworm)",
        "Linux",
        "12",
        "qcow2",
        2048,
        "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2",
    ),
    (
        "d64d5c6c-9dda-4e38-8174-0ee282474d8a",
        "rockylinux-9",
        "Rocky Linux 9",
        "Linux",
        "9",
        "qcow2",
        1843.75,
        "https://dl.rockylinux.org/pub/rocky/9/images/x86_64/Rocky-9-GenericCloud.latest.x86_64.qcow2",
    ),
    (
        "e9d0b8c1-a1f6-4a5f-8b2e-2d1c3a7c9f10",
        "almalinux-9",
        "AlmaLinux 9",
        "Linux",
        "9",
        "qcow2",
        1740,
        "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-latest.x86_64.qcow2",
    ),
    (
        "1e1c0f2b-5b8e-4d6b-9a43-7c1f0a5e8d21",
        "windows-server-2022-se",
        "Windows Server 2022 Standard Edition",
        "Windows",
        "2022",
        "iso",
        5068.5,
        "https://software-download.microsoft.com/windows-server-2022.iso",
    ),
    (
        "8b7c6d5e-4f3a-4b2c-8d1e-0f9a8b7c6d5e",
        "windows-server-2019-se",
        "Windows Server 2019 Standard Edition",
        "Windows",
        "2019",
        "iso",
        4844,
        "https://software-download.microsoft.com/windows-server-2019.iso",
    ),
]
_CREATED = "2021-06-03T06:27:12.000Z"


def standard_images(tenant_id: str, customer_id: str) -> list[dict]:
    """Complete image dicts for the standard images, ready to insert."""
    return [
        new_image(
            imageId=image_id,
            tenantId=tenant_id,
            customerId=customer_id,
            name=name,
            description=description,
            url=url,
            sizeMb=size_mb,
            uploadedSizeMb=size_mb,
            osType=os_type,
            version=version,
            format=fmt,
            status="downloaded",
            standardImage=True,
            creationDate=_CREATED,
            lastModifiedDate=_CREATED,
        )
        for image_id, name, description, os_type, version, fmt, size_mb, url in _STANDARD
    ]
