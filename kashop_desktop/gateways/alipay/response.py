"""The raw text of an Alipay reply that its signature covers (OpenAPI §2.4, §2.5).

The signature is over the exact bytes of the ``<method>_response`` value as received, so the
value's span is found in the body text rather than re-serialised from parsed JSON.
"""

from __future__ import annotations

import json
import re

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _top_level_spans(text: str) -> dict[str, tuple[int, int]]:
    """Key -> (start, end) of each top-level value of a JSON object, as offsets into ``text``.

    Uses the JSON decoder to skip each value, so braces and quotes inside strings are handled.
    Raises ValueError for anything that is not exactly one well-formed object, or a duplicate key.
    """

    def ws(pos: int) -> int:
        match = _WS.match(text, pos)
        return match.end() if match else pos

    pos = ws(0)
    if text[pos : pos + 1] != "{":
        raise ValueError("not a JSON object")
    pos = ws(pos + 1)
    spans: dict[str, tuple[int, int]] = {}
    if text[pos : pos + 1] == "}":
        pos += 1
    else:
        while True:
            if text[pos : pos + 1] != '"':
                raise ValueError("expected a key")
            key, pos = _DECODER.raw_decode(text, pos)
            pos = ws(pos)
            if text[pos : pos + 1] != ":":
                raise ValueError("expected ':'")
            start = ws(pos + 1)
            _value, end = _DECODER.raw_decode(text, start)
            if key in spans:
                raise ValueError(f"duplicate key {key!r}")
            spans[str(key)] = (start, end)
            pos = ws(end)
            sep = text[pos : pos + 1]
            if sep == ",":
                pos = ws(pos + 1)
                continue
            if sep == "}":
                pos += 1
                break
            raise ValueError("expected ',' or '}'")
    if text[pos:].strip(" \t\n\r"):
        raise ValueError("trailing data after the JSON object")
    return spans


def signed_response_content(body: str, response_key: str) -> tuple[str, str, str | None]:
    """(key used, exact raw text of its value, sign or None) of a gateway reply body.

    ``response_key`` is the expected ``<method>_response``; ``error_response`` is accepted in its
    place. Raises ValueError when the body is not a complete JSON object with one of them.
    """
    spans = _top_level_spans(body)
    key = response_key if response_key in spans else "error_response" if "error_response" in spans else ""
    if not key:
        raise ValueError(f"no {response_key} in the reply")
    start, end = spans[key]
    sign: str | None = None
    if "sign" in spans:
        s_start, s_end = spans["sign"]
        value = json.loads(body[s_start:s_end])
        if not isinstance(value, str):
            raise ValueError("sign is not a string")
        sign = value
    return key, body[start:end], sign
