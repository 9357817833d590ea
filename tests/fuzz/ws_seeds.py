#!/usr/bin/env python3
"""Write the seed corpus of fuzz_ws (tests/fuzz/seeds/ws/), in the input
layout fuzz_ws.c describes: byte 0 the mode (bit 0 messages, bit 1 binary),
byte 1 the length of the upgrade headers ("fault\\nfixture\\nscenario"),
then the client's frames (their byte 0 the read size) or 0xFF-separated
messages. The creates use models and inputs of the shipped fixtures."""
import json
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "ws")


def frame(opcode, payload, fin=True, mask=b"\x5a\xa5\x0f\xf0", masked=True):
    """One client frame: masked unless told, with the 7/16/64-bit length."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if masked else 0
    n = len(payload)
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close(code, reason=b""):
    return frame(0x8, struct.pack(">H", code) + reason)


def seed(name, mode, headers, body):
    headers = headers.encode()
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([mode, len(headers)]) + headers + body)


def create(**kw):
    ev = {"type": "response.create", "model": "gpt-4.1-mini", "input": "hi"}
    ev.update(kw)
    return json.dumps(ev)


def main():
    os.makedirs(OUT, exist_ok=True)
    tools = create(input="What is the weather in Paris?",
                   tools=[{"type": "function", "name": "get_weather",
                           "parameters": {"type": "object"}}])
    steer = json.dumps({"type": "response.steer", "input": "more"})
    half = len(create()) // 2
    seed("frames-create", 0, "", b"\xff" + frame(1, create()) + close(1000))
    seed("frames-ping", 0, "", b"\x00" + frame(9, "ping") + frame(1, steer) + close(1000, b"bye"))
    seed("frames-fragmented", 0, "", b"\x03" + frame(1, create()[:half], fin=False) +
         frame(9, "p") + frame(0, create()[half:]))
    seed("frames-binary", 0, "", b"\x10" + frame(2, create()) + frame(1, '{"type":"nope"}'))
    seed("frames-unmasked", 0, "", b"\x10" + frame(1, create(), masked=False))
    seed("frames-oversize", 0, "", b"\x10" + b"\x81\xff" + struct.pack(">Q", 1 << 40) + b"\0" * 4)
    seed("frames-long", 0, "", b"\xff" + frame(1, create(input="x" * 15000)))
    big = create(input="x" * (16 * 1024))  # past fuzz_ws's 16 KiB --max-body: close 1009
    seed("frames-too-big", 0, "", b"\xff" + frame(1, big))
    seed("frames-too-big-fragmented", 0, "", b"\xff" + frame(1, big[:9000], fin=False) +
         frame(0, big[9000:]))
    seed("frames-close-codes", 0, "", b"\x20" + close(1009) + close(4000))
    seed("frames-tools", 0, "", b"\x40" + frame(1, tools) + frame(1, create(store=False)))
    seed("frames-stall", 0, "stall;after_events=2;stall_ms=10\n\n", b"\x40" + frame(1, create()))
    seed("frames-drop", 0, "drop;after_events=3\n\n", b"\x40" + frame(1, create()))
    seed("frames-fixture", 0, "\nweather-call\n", b"\x40" + frame(1, tools))
    seed("msgs", 1, "", b"\xff".join(m.encode() for m in [
        create(), create(generate=False, store=False), steer, '{"type":1}', "[]", "{",
        create(previous_response_id="resp_x"), create(background=True)]))
    seed("msgs-fixture", 1, "\nweather-call\n", tools.encode())
    seed("msgs-binary", 3, "", create().encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
