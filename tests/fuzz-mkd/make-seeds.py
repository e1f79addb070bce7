#!/usr/bin/env python3
"""Write the hand-made seed inputs of both corpora (run once; libFuzzer adds
what it finds to the same folders, and interesting finds are kept)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def frame(op, body, seq=1):
    return struct.pack("<IHHIi", len(body), op, 0, seq, 0) + body


def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def blob(b): return u32(len(b)) + b


HELLO = frame(1, u32(0x31444B4D) + u32(1) + u32(1))
seeds = {
    "hello": b"\0" + HELLO,
    "hello-bad-version": b"\0" + frame(1, u32(0x31444B4D) + u32(5) + u32(9)),
    "no-hello": b"\0" + frame(2, blob(b"x")),
    "ping": b"\1" + frame(2, blob(b"hello")),
    "procs": b"\1" + frame(10, u32(0)) + frame(10, u32(77)) + frame(12, u32(77)) +
             frame(11, u32(77)) + frame(11, u32(77)),
    "mbox": b"\1" + frame(10, u32(5)) + frame(20, u64(5) + u32(9) + u64(0) + blob(b"msg")) +
            frame(22, u32(5)) + frame(21, u64(0) + u32(5) + u32(64) + u64(0)) +
            frame(21, u64(0) + u32(5) + u32(64) + u64(100)),
    "queue": b"\1" + frame(10, u32(6)) + frame(30, blob(b"q") + u32(0) + u32(4) + u32(32)) +
             frame(31, blob(b"q")) + frame(33, u64(0x100000001) + u32(1) + u64(0) + blob(b"a")) +
             frame(34, u64(0x100000001) + u32(6) + u32(32) + u64(0)) +
             frame(37, u64(0x100000001) + u32(0)) + frame(32, u64(0x100000001)),
    "pubsub": b"\1" + frame(10, u32(8)) + frame(30, blob(b"ps") + u32(1) + u32(2) + u32(8)) +
              frame(35, u64(0x100000001) + u32(8)) + frame(36, u64(0x100000001) + u32(8)),
    "sem": b"\1" + frame(40, blob(b"s") + u32(1) + u32(2)) + frame(41, blob(b"s")) +
           frame(42, u64(0x100000001) + u64(0)) + frame(44, u64(0x100000001)) +
           frame(45, u64(0x100000001)) + frame(46, u64(0x100000001)),
    "vfs": b"\1" + frame(10, u32(9)) + frame(58, blob(b"/d")) +
           frame(50, u32(9) + u32(0x42) + blob(b"/d/f")) +
           frame(53, u32(9) + u64(1) + u64(0) + blob(b"data")) +
           frame(56, u32(9) + u64(1) + u64(0) + u32(0)) +
           frame(52, u32(9) + u64(1) + u32(10) + u64(0)) +
           frame(54, u32(9) + u64(1) + u32(10) + u64(2)) +
           frame(55, u32(9) + u64(1) + u64(3) + blob(b"x")) +
           frame(59, blob(b"/d/f")) + frame(51, u32(9) + u64(1)) + frame(57, blob(b"/d/f")),
    "short-body": b"\1" + frame(10, b"\0\0"),
    "trailing": b"\1" + frame(12, u32(1) + b"junk"),
    "unknown-op": b"\1" + frame(999, b""),
    "long-name": b"\1" + frame(30, blob(b"n" * 100) + u32(0) * 3),
    "nul-name": b"\1" + frame(40, blob(b"a\0b") + u32(0) + u32(1)),
}
for name, data in seeds.items():
    with open(os.path.join(HERE, "corpus-frame", "seed-" + name), "wb") as f:
        f.write(data)

mipc = {
    "sequence": "c {.message=hi,.pid=1234,.port=8080}\n{.message=hello world,.pid=1234,.port=8080}\n"
                "{.message=hello world,.pid=1234,.port=8080}\nr {.message=,.pid=1234,.port=8080}\n",
    "errors": "\n garbage\nc {.port=0}\nc {.port=1,.port=2}\n{.message=x,.port=3}\nc {.colour=1}\n"
              "c{.port=99999999999}\nr {.port=5\n",
    "commas": "c {.port=10}\n{.pid=1,.port=10}\n{.message=a,b},{c,.pid=1,.port=10}\n",
    "remove-links": "c {.port=11}\n{.pid=1,.port=11}\n{.pid=2,.port=11}\nr {.port=11}\nr {.port=11}\n",
    "crlf": "c {.message=x,.pid=1,.port=12}\r\n{.message=x,.pid=1,.port=12}\r\n",
}
for name, text in mipc.items():
    with open(os.path.join(HERE, "corpus-mipc", "seed-" + name), "wb") as f:
        f.write(text.encode())
