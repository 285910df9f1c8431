"""Character sets of text exports: decode to UTF-8, detecting the encoding when it is not set.

Set (``[file] encoding``), or detected in this order: a byte-order mark (UTF-8, UTF-16), UTF-16
without one (every other byte NUL), valid UTF-8, else cp1252 (Windows Western European; latin-1
for the five bytes cp1252 leaves undefined). Other single-byte or Japanese exports need the
encoding set (e.g. ``"cp932"``): a byte sequence is valid in several of them, and only the user
knows which was meant. The reading note says which encoding was used and why.
"""

from __future__ import annotations

import codecs

from nlrstats.data.messages import ReadError

__all__ = ["decode_text"]


def decode_text(data: bytes, encoding: str | None, source: str) -> tuple[bytes, str, bool, list[str]]:
    """The text as UTF-8 bytes, the encoding used, whether it was detected, and notes.

    Raises
    ------
    ReadError
        when a set encoding does not decode the file, or the file is binary.
    """
    notes: list[str] = []
    if encoding is not None:
        name = codecs.lookup(encoding).name
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ReadError(source, f"is not valid {encoding}: byte 0x{data[exc.start]:02x} on line {line} "
                            f"cannot be decoded",
                            "remove [file] encoding (or --encoding) to detect it, or name the encoding the "
                            "file was saved in, e.g. \"cp1252\" for Windows or \"utf-8\"") from None
        text = text.lstrip("\ufeff")
        return text.encode("utf-8"), name, False, notes
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8):]
        _check_utf8(body, source)
        return body, "utf-8-sig", True, notes
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_to_utf8(data, "utf-16", source), "utf-16", True, notes
    if b"\x00" in data[:4096]:
        head = data[:4096]
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if odd > 0.4 * len(head[1::2]) and even == 0:
            return _decode_to_utf8(data, "utf-16-le", source), "utf-16-le", True, notes
        if even > 0.4 * len(head[0::2]) and odd == 0:
            return _decode_to_utf8(data, "utf-16-be", source), "utf-16-be", True, notes
        raise ReadError(source, "holds NUL bytes: it is a binary file, not a text table",
                        "export the data as CSV (or .xlsx / .parquet) and read that file")
    try:
        data.decode("utf-8")
        return data, "utf-8", True, notes
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
    try:
        text, name = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are undefined in cp1252
        text, name = data.decode("latin-1"), "latin-1"
    notes.append(f"the file is not UTF-8 (byte 0x{byte:02x} on line {line}); read as {name} (Windows "
                 "Western European). If names or codes look wrong, set [file] encoding (e.g. \"cp932\" "
                 "for a Japanese Windows export)")
    return text.encode("utf-8"), name, True, notes


def _check_utf8(data: bytes, source: str) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReadError(source, f"starts with a UTF-8 byte-order mark but byte 0x{data[exc.start]:02x} on line "
                        f"{line} is not UTF-8", "save the file again as UTF-8, or set [file] encoding") from None


def _decode_to_utf8(data: bytes, encoding: str, source: str) -> bytes:
    try:
        return data.decode(encoding).lstrip("\ufeff").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReadError(source, f"looks like {encoding} but byte {exc.start} cannot be decoded",
                        "save the file again as UTF-8, or set [file] encoding") from None
