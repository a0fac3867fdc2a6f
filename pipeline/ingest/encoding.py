"""Decide a text file's encoding and hand back UTF-8 bytes.

Order (see README.md): a UTF-16 byte-order mark wins (or the NUL-every-other-byte pattern of
UTF-16 without one); else strict UTF-8 (with or without BOM);
else Windows-1252 (what Excel on Windows writes as "CSV"); else Latin-1, which accepts any byte.
"""

from __future__ import annotations

import codecs

from .sniff import UTF16_BOMS, utf16_without_bom


def decode_to_utf8(raw: bytes) -> tuple[bytes, str]:
    """Return ``(utf8_bytes_without_bom, encoding_name)`` for the raw bytes of a text file."""
    if raw.startswith(UTF16_BOMS):
        text = raw.decode("utf-16")  # the codec reads and removes the BOM
        return text.encode("utf-8"), "utf-16"
    bomless = utf16_without_bom(raw[:4096])
    if bomless:
        return raw.decode(bomless, errors="replace").encode("utf-8"), bomless
    if raw.startswith(codecs.BOM_UTF8):
        body, name = raw[len(codecs.BOM_UTF8) :], "utf-8-sig"
    else:
        body, name = raw, "utf-8"
    try:
        body.decode("utf-8")
        return body, name
    except UnicodeDecodeError:
        pass
    for candidate in ("cp1252", "latin-1"):
        try:
            return raw.decode(candidate).encode("utf-8"), candidate
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")  # pragma: no cover
