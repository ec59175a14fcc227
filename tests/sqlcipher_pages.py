"""Decrypt every page of a SQLCipher 4 file with its raw key, as an attacker with the key
would see it — including freed space, which SQL queries never show.

Layout with our settings: 16 KiB pages; each ends with a 16-byte IV and a 32-byte
HMAC-SHA256; page 1 begins with the 16-byte salt. AES-256-CBC with the raw key.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from labeler.store.connection import PAGE_SIZE

RESERVE = 16 + 32
WAL_HEADER, FRAME_HEADER = 32, 24


def _decrypt_page(key: bytes, page: bytes, first: bool) -> bytes:
    start = 16 if first else 0
    body_end = PAGE_SIZE - RESERVE
    iv = page[body_end : body_end + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start:body_end]) + decryptor.finalize()


def decrypted_pages(path: Path, key: bytes) -> list[bytes]:
    pages = []
    data = path.read_bytes()
    for number, offset in enumerate(range(0, len(data), PAGE_SIZE)):
        pages.append(_decrypt_page(key, data[offset : offset + PAGE_SIZE], number == 0))
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        frames = wal.read_bytes()[WAL_HEADER:]
        step = FRAME_HEADER + PAGE_SIZE
        for offset in range(0, len(frames) - step + 1, step):
            page_number = int.from_bytes(frames[offset : offset + 4], "big")
            page = frames[offset + FRAME_HEADER : offset + step]
            pages.append(_decrypt_page(key, page, page_number == 1))
    return pages


def contains(path: Path, key: bytes, marker: str) -> bool:
    needle = marker.encode("utf-8")
    return any(needle in page for page in decrypted_pages(path, key))
