#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Decode PNG files fully, independently of imgserver's code, and say whether they are valid.

Checks the signature, every chunk's CRC, the chunk order, that IHDR describes 8-bit RGB or
RGBA, that the IDAT stream inflates to exactly the size IHDR implies, and that each scanline
has a valid filter type. Prints "NAME: WIDTHxHEIGHT ok" or the problem; exit status 1 if any
file is invalid.
"""

import struct
import sys
import zlib


def check(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    pos, chunks, idat = 8, [], b""
    width = height = channels = None
    while pos < len(data):
        if pos + 12 > len(data):
            raise ValueError(f"truncated chunk at byte {pos}")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        if pos + 12 + length > len(data):
            raise ValueError(f"chunk {ctype!r} at byte {pos} runs past the end of the file")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if len(body) != length or zlib.crc32(ctype + body) != crc:
            raise ValueError(f"bad CRC or length in chunk {ctype!r}")
        chunks.append(ctype)
        if ctype == b"IHDR":
            width, height, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or comp or filt or interlace:
                raise ValueError(f"unexpected IHDR {depth=} {colour=} {interlace=}")
            channels = 3 if colour == 2 else 4
        elif ctype == b"IDAT":
            idat += body
        pos += 12 + length
    if not chunks or chunks[0] != b"IHDR" or chunks[-1] != b"IEND" or b"IDAT" not in chunks:
        raise ValueError(f"bad chunk order {chunks}")
    raw = zlib.decompress(idat)
    stride = 1 + channels * width
    if len(raw) != stride * height:
        raise ValueError(f"pixel data is {len(raw)} bytes, IHDR implies {stride * height}")
    if any(raw[y * stride] > 4 for y in range(height)):
        raise ValueError("invalid scanline filter type")
    return f"{width}x{height}"


def main() -> int:
    bad = 0
    for path in sys.argv[1:]:
        try:
            print(f"{path}: {check(path)} ok")
        except (OSError, ValueError, zlib.error) as exc:
            print(f"{path}: INVALID: {exc}")
            bad += 1
    return 1 if bad or len(sys.argv) < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
