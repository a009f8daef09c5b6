#!/usr/bin/env python3
"""Write the hostile descriptors of issue 12 into a folder, for timing with
`/usr/bin/time -v deploygen validate DIR/FILE`:

  env-80k.yaml    80,000 env entries (quadratic scans show up as minutes)
  alias-bomb.yaml 1 MB: one long anchored string aliased thousands of times
  deep-seq.yaml   20 KB of `- - - …` (a stack overflow, exit 134, before the depth cap)

usage: python3 tests/bench/hostile_inputs.py OUT_DIR
"""
import os
import sys

HEAD = """name: hostile
platform: compose
postgres:
  database: app
  user: app
services:
  web:
    image: example/web:1.0
"""


def env_80k():
    lines = [HEAD, "env:\n"]
    lines += [f"  VAR_{i:05d}: value-{i}\n" for i in range(80_000)]
    return "".join(lines)


def alias_bomb(size=1_000_000):
    text = HEAD + "env:\n  A: &a \"" + "x" * (size // 2) + "\"\n  B: ["
    aliases = ", ".join(["*a"] * ((size - len(text)) // 4))
    return text + aliases + "]\n"


def deep_seq(size=20_000):
    return "- " * (size // 2) + "x\n"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, text in [("env-80k.yaml", env_80k()), ("alias-bomb.yaml", alias_bomb()), ("deep-seq.yaml", deep_seq())]:
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
        print(f"{name}: {len(text)} bytes")


if __name__ == "__main__":
    main()
