"""R's default random number generator, so that Monte Carlo results equal R's to the last digit.

R (>= 3.6) draws with ``RNGkind("Mersenne-Twister", "Inversion", "Rejection")``:

- ``set.seed(seed)`` scrambles the seed with 50 steps of the congruential generator
  ``seed = 69069 * seed + 1`` and fills the 624 words of the Mersenne-Twister state with
  the next 624 values (R's ``RNG_Init``; ``mti = 624``, so the first draw twists);
- ``unif_rand()`` is MT19937 (Matsumoto & Nishimura 1998) tempered output times 2^-32,
  with 0 replaced by 2^-33 (R's ``fixup``);
- ``R_unif_index(dn)`` (behind ``sample()``) draws ``ceil(log2(dn))`` random bits, 16 at
  a time from ``floor(65536 * unif_rand())``, and rejects values ``>= dn``.

:class:`RRNG` reproduces these draw for draw; its state is R's ``.Random.seed`` (626
integers), which :meth:`RRNG.from_random_seed` and :attr:`RRNG.random_seed` read and
write. Draws are generated 624 at a time with numpy; nothing is drawn that R would not
draw, so a sequence of calls on one :class:`RRNG` equals the same sequence of R calls
after one ``set.seed``.
"""

from __future__ import annotations

import math
import os
from collections import deque

import numpy as np

__all__ = ["RRNG", "as_rng"]

_N, _M = 624, 397
_MATRIX_A = np.uint32(0x9908B0DF)
_UPPER, _LOWER = np.uint32(0x80000000), np.uint32(0x7FFFFFFF)
_I2_32M1 = 2.328306437080797e-10  # 1 / (2^32 - 1), R's fixup constant
_TO_UNIT = 2.3283064365386963e-10  # 2^-32
_MT_KIND = 10403  # .Random.seed[1]: Mersenne-Twister, Inversion, Rejection
# From this many 624-word refills at once, or integer draws in one call, the compiled kernels
# pay for importing numba.
_JIT_BLOCKS = 1500
_JIT_DRAWS = 200_000


def _twist(mt: np.ndarray) -> np.ndarray:
    """The next 624-word state, as MT_genrand's refill loop (three vectorisable stretches)."""
    new = np.empty_like(mt)
    one = np.uint32(1)

    def step(cur, nxt, far):
        y = (cur & _UPPER) | (nxt & _LOWER)
        return far ^ (y >> one) ^ (_MATRIX_A * (y & one))

    d = _N - _M  # 227
    new[:d] = step(mt[:d], mt[1:d + 1], mt[_M:])
    # from kk = N - M on, the word M - N ahead has already been refreshed in this pass
    new[d:2 * d] = step(mt[d:2 * d], mt[d + 1:2 * d + 1], new[:d])
    new[2 * d:_N - 1] = step(mt[2 * d:_N - 1], mt[2 * d + 1:_N], new[d:_N - 1 - d])
    y = (mt[_N - 1] & _UPPER) | (new[0] & _LOWER)
    new[_N - 1] = new[_M - 1] ^ (y >> one) ^ (_MATRIX_A if y & one else np.uint32(0))
    return new


def _temper_unif(mt: np.ndarray) -> np.ndarray:
    y = mt.copy()
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    u = y.astype(np.float64) * _TO_UNIT
    u[u <= 0.0] = 0.5 * _I2_32M1  # R's fixup: unif_rand() never returns 0
    return u


def _seed_words(seed: int) -> np.ndarray:
    s = int(seed) & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    words = np.empty(_N + 1, dtype=np.uint32)
    for j in range(_N + 1):
        s = (69069 * s + 1) & 0xFFFFFFFF
        words[j] = s
    return words[1:]  # words[0] is R's slot for mti, overwritten with 624


class RRNG:
    """R's Mersenne-Twister stream: ``RRNG(1)`` is ``set.seed(1)``.

    Parameters
    ----------
    seed : int, optional
        As R's ``set.seed`` (any integer; taken modulo 2^32 as R's ``Int32`` cast does).
        ``None`` seeds from the operating system, as R seeds from the clock when no seed
        was set (not reproducible).
    """

    def __init__(self, seed: int | None = None):
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little")
        self.seed = seed
        self.set_seed(seed)

    # ------------------------------------------------------------------ state
    def set_seed(self, seed: int) -> None:
        """R's ``set.seed(seed)`` with the default kinds."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an integer, got {seed!r}")
        self._mt = _seed_words(int(seed))
        self._pos = _N  # R's mti: the next draw refills the state
        self._block: np.ndarray | None = None
        self._ahead: deque[tuple[np.ndarray, np.ndarray]] = deque()

    @classmethod
    def from_random_seed(cls, random_seed) -> "RRNG":
        """A generator in the state of R's ``.Random.seed`` (626 integers, kind 10403)."""
        v = np.asarray(random_seed, dtype=np.int64)
        if v.size != _N + 2 or int(v[0]) != _MT_KIND:
            raise ValueError("random_seed must be R's .Random.seed of the Mersenne-Twister (626 integers, "
                             f"first 10403); got {v.size} values starting {v[:1].tolist()}")
        g = cls.__new__(cls)
        g.seed = None
        g._mt = (v[2:] & 0xFFFFFFFF).astype(np.uint32)
        g._pos = int(v[1]) if 0 < int(v[1]) <= _N else _N
        g._block, g._ahead = None, deque()
        return g

    @property
    def random_seed(self) -> np.ndarray:
        """R's ``.Random.seed`` for the current state (signed 32-bit integers)."""
        return np.r_[np.int64(_MT_KIND), np.int64(self._pos),
                     self._mt.astype(np.int64) - ((self._mt.astype(np.int64) >> 31) << 32)].astype(np.int32)

    def _current(self) -> np.ndarray:
        if self._block is None:
            self._block = _temper_unif(self._mt)
        return self._block

    def _next_block(self) -> tuple[np.ndarray, np.ndarray]:
        prev = self._ahead[-1][0] if self._ahead else self._mt
        mt = _twist(prev)
        self._ahead.append((mt, _temper_unif(mt)))
        return self._ahead[-1]

    def _extend(self, nblocks: int) -> None:
        """Append at least ``nblocks`` future refills. A stream that has drawn many (a bootstrap)
        switches to the compiled kernel and refills ahead in batches: drawing ahead changes
        nothing, the refills are kept until consumed."""
        self._generated = getattr(self, "_generated", 0) + nblocks
        if self._generated >= _JIT_BLOCKS:
            from nlrstats.stats._rng_jit import mt_blocks
            batch = max(nblocks, 2 * _JIT_BLOCKS)
            prev = self._ahead[-1][0] if self._ahead else self._mt
            states, u = mt_blocks(prev, batch)
            u = u.reshape(batch, _N)
            self._ahead.extend(zip(states, u))
        else:
            for _ in range(nblocks):
                self._next_block()

    # ------------------------------------------------------------------ uniforms
    def peek(self, n: int) -> np.ndarray:
        """The next ``n`` values of ``unif_rand()`` without consuming them."""
        parts = []
        if self._pos < _N:
            parts.append(self._current()[self._pos:])
        have = sum(p.size for p in parts)
        have_ahead = have + _N * len(self._ahead)
        if have_ahead < n:
            self._extend(-(-(n - have_ahead) // _N))
        i = 0
        while have < n:
            if i < len(self._ahead):
                blk = self._ahead[i][1]
            else:
                blk = self._next_block()[1]
            parts.append(blk)
            have += blk.size
            i += 1
        out = np.concatenate(parts) if parts else np.empty(0)
        return out[:n]

    def advance(self, n: int) -> None:
        """Consume ``n`` values (those :meth:`peek` showed)."""
        while n > 0:
            avail = _N - self._pos
            if n <= avail:
                self._pos += n
                return
            n -= avail
            if not self._ahead:
                self._next_block()
            self._mt, self._block = self._ahead.popleft()
            self._pos = 0

    def unif_rand(self, n: int = 1) -> np.ndarray:
        """``n`` draws of R's ``unif_rand()`` (``runif(n)`` with the default range)."""
        out = self.peek(int(n))
        self.advance(int(n))
        return out

    def runif(self, n: int, min: float = 0.0, max: float = 1.0) -> np.ndarray:
        """R's ``runif(n, min, max)``: ``min + (max - min) * unif_rand()``."""
        return min + (max - min) * self.unif_rand(n)

    # ------------------------------------------------------------------ integers
    def unif_index(self, dn: int, size: int) -> np.ndarray:
        """``size`` draws of R's ``R_unif_index(dn)``: integers 0..dn-1 by rejection ("Rejection")."""
        size = int(size)
        out = np.empty(size, dtype=np.int64)
        if dn <= 0 or size == 0:
            out[:] = 0
            return out
        bits = int(math.ceil(math.log2(dn)))
        chunks = bits // 16 + 1
        if size >= _JIT_DRAWS:
            from nlrstats.stats._rng_jit import unif_index_fill
            groups = int(size * (2.0 ** bits) / dn * 1.02) + 64
            while True:  # the compiled loop reports how far a buffer went; retry with more if short
                used = unif_index_fill(self.peek(groups * chunks), float(dn), bits, chunks, out)
                if used >= 0:
                    self.advance(used)
                    return out
                groups *= 2
        mask = (1 << bits) - 1
        done = 0
        while done < size:
            need = size - done
            groups = int(need * (2.0 ** bits) / dn * 1.02) + 16
            u = self.peek(groups * chunks).reshape(groups, chunks)
            if chunks == 1:
                v = (u[:, 0] * 65536).astype(np.int64)  # floor: u > 0
            else:
                v = np.zeros(groups, dtype=np.int64)
                for c in range(chunks):
                    v = 65536 * v + (u[:, c] * 65536).astype(np.int64)
            v &= mask
            ok = np.flatnonzero(v < dn)
            if ok.size >= need:
                out[done:] = v[ok[:need]]
                self.advance((int(ok[need - 1]) + 1) * chunks)
                return out
            out[done:done + ok.size] = v[ok]
            done += ok.size
            self.advance(groups * chunks)
        return out

    def sample_int(self, n: int, size: int | None = None, replace: bool = False) -> np.ndarray:
        """R's ``sample.int(n, size, replace)`` without ``prob`` (1-based, as R returns it)."""
        n = int(n)
        size = n if size is None else int(size)
        if n < 0 or size < 0:
            raise ValueError("invalid 'n' or 'size' for sample_int")
        if not replace and size > n:
            raise ValueError("cannot take a sample larger than the population when 'replace = FALSE'")
        if replace or size < 2:
            return self.unif_index(n, size) + 1
        pool = np.arange(n, dtype=np.int64)
        out = np.empty(size, dtype=np.int64)
        left = n
        for i in range(size):  # R's do_sample without replacement: swap the drawn one out
            j = int(self.unif_index(left, 1)[0])
            out[i] = pool[j] + 1
            left -= 1
            pool[j] = pool[left]
        return out


def as_rng(seed) -> RRNG:
    """An :class:`RRNG` from ``None`` (fresh), an integer (``set.seed``) or an existing stream."""
    if isinstance(seed, RRNG):
        return seed
    return RRNG(seed)
