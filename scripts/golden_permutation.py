#!/usr/bin/env python3
"""The golden permutations of tests/sgd.rs, from an independent model of the stream.

Models rand_xoshiro's Xoshiro128PlusPlus (seed_from_u64 expands the seed with SplitMix64,
two outputs, little-endian, into the four u32 state words), 32-bit Lemire bounds and the
crate's Fisher-Yates loop (front to back: i = 0 .. n-2, j = i + bounded(n - i)).

    python3 scripts/golden_permutation.py
"""

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Xoshiro128PlusPlus:
    def __init__(self, seed):
        words = splitmix64(seed)
        raw = next(words).to_bytes(8, "little") + next(words).to_bytes(8, "little")
        self.s = [int.from_bytes(raw[4 * i : 4 * i + 4], "little") for i in range(4)]

    def next_u32(self):
        s = self.s
        result = (rotl((s[0] + s[3]) & M32, 7) + s[0]) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 11)
        return result


def bounded(rng, s):
    m = rng.next_u32() * s
    if (m & M32) < s:
        t = ((1 << 32) - s) % s
        while (m & M32) < t:
            m = rng.next_u32() * s
    return m >> 32


def permutation(n, seed):
    order = list(range(n))
    rng = Xoshiro128PlusPlus(seed)
    for i in range(n - 1):
        j = i + bounded(rng, n - i)
        order[i], order[j] = order[j], order[i]
    return order


def fnv1a(values):
    h = 0xCBF29CE484222325
    for v in values:
        h = ((h ^ v) * 0x100000001B3) & M64
    return h


if __name__ == "__main__":
    print("GOLDEN_12 =", permutation(12, 42))
    print("GOLDEN_1000_HASH = %#018x" % fnv1a(permutation(1000, 7)))
