"""The ElectionGuard 2.0 group: integers modulo the 4096-bit prime p, exponents modulo the 256-bit prime q.

Theory of operation
-------------------
ElectionGuard 2.0 (Benaloh and Naehrig, Design Specification 2.0.0 of 2023-08-18, §3.1.1) fixes one
set of "standard baseline parameters" and forbids alternatives, so that a verifier can hard-code them:

- q = 2^256 - 189, the largest 256-bit prime (eq. 3);
- p, a 4096-bit prime with 256 one-bits at each end and, in the middle, the first 3,584 bits of
  ln 2 plus the smallest offset delta for which p is prime, q divides p - 1 and (p - 1)/2q is prime
  (hence the ``...B17217F7 D1CF79AB...`` hex digits, the binary expansion of ln 2);
- r = (p - 1)/q, the cofactor, and r/2 is prime;
- g = 2^r mod p, which generates the order-q subgroup Z_p^r of the r-th residues.

Every ElectionGuard value is either an *element* of Z_p^r (public keys, ciphertext components, proof
commitments), handled as an integer in [0, p), or an *exponent* in Z_q (secret keys, nonces,
challenges, responses), handled as an integer in [0, q). An integer x is in Z_p^r if and only if
0 <= x < p and x^q mod p = 1 (Verification 2.A); that test costs one full exponentiation, so the
verifier does it once per published element and never for values it computed itself, and tests a
ballot's elements together with :func:`batch_in_subgroup` (Jacobi symbols plus a small-exponent
product, soundness error 2^-64).

The hot operation is exponentiation. gmpy2's ``powmod`` (GMP, Montgomery multiplication) costs about
2.2 ms for a 256-bit exponent on the reference machine. Almost every exponentiation in ElectionGuard
has base g or base K, the joint election key (spec Note 3.4), so both get a :class:`FixedBase`
table: with 8-bit windows, g^e is the product of 32 precomputed powers, about 0.33 ms, at a one-time
cost of 8,192 multiplications (~85 ms, ~4 MiB per base).

This module is pure arithmetic: no hashing, no randomness source, no I/O. Values are typed ``int``;
at run time they are gmpy2 ``mpz`` wherever speed matters (``mpz`` implements the ``int`` protocol:
arithmetic, comparison, hashing and ``to_bytes`` behave the same), and wire records carry their
fixed-length big-endian byte encodings (spec §5.1.1, §5.1.2), never Python ints, because
MessagePack integers stop at 64 bits.

Timing side channels: GMP's ``powmod`` and the table lookups below are not constant-time. Secret
exponents of guardians use :func:`powmod_secret` (GMP's ``mpz_powm_sec``); the Python code around
them is still not constant-time, so guardians and encrypting devices should run on machines that do
not share cores with untrusted code (see docs/voting-threat-model.md).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Final, cast

import gmpy2

# --- Standard baseline parameters, spec §3.1.1 -----------------------------------------------------

SPEC_VERSION: Final = "v2.0.0"
"""The specification version this package implements (§3.1.2, Verification 1.A)."""

Q: Final[int] = 2**256 - 189
"""The small prime q, eq. (3): the largest 256-bit prime."""

_P_HEX: Final = (
    "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF"
    "B17217F7 D1CF79AB C9E3B398 03F2F6AF 40F34326 7298B62D 8A0D175B 8BAAFA2B"
    "E7B87620 6DEBAC98 559552FB 4AFA1B10 ED2EAE35 C1382144 27573B29 1169B825"
    "3E96CA16 224AE8C5 1ACBDA11 317C387E B9EA9BC3 B136603B 256FA0EC 7657F74B"
    "72CE87B1 9D6548CA F5DFA6BD 38303248 655FA187 2F20E3A2 DA2D97C5 0F3FD5C6"
    "07F4CA11 FB5BFB90 610D30F8 8FE551A2 EE569D6D FC1EFA15 7D2E23DE 1400B396"
    "17460775 DB8990E5 C943E732 B479CD33 CCCC4E65 9393514C 4C1A1E0B D1D6095D"
    "25669B33 3564A337 6A9C7F8A 5E148E82 074DB601 5CFE7AA3 0C480A54 17350D2C"
    "955D5179 B1E17B9D AE313CDB 6C606CB1 078F735D 1B2DB31B 5F50B518 5064C18B"
    "4D162DB3 B365853D 7598A195 1AE273EE 5570B6C6 8F969834 96D4E6D3 30AF889B"
    "44A02554 731CDC8E A17293D1 228A4EF9 8D6F5177 FBCF0755 268A5C1F 9538B982"
    "61AFFD44 6B1CA3CF 5E9222B8 8C66D3C5 422183ED C9942109 0BBB16FA F3D949F2"
    "36E02B20 CEE886B9 05C128D5 3D0BD2F9 62136319 6AF50302 0060E499 08391A0C"
    "57339BA2 BEBA7D05 2AC5B61C C4E9207C EF2F0CE2 D7373958 D7622658 90445744"
    "FB5F2DA4 B7510058 92D35689 0DEFE9CA D9B9D4B7 13E06162 A2D8FDD0 DF2FD608"
    "FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF"
)
P: Final[int] = int(_P_HEX.replace(" ", ""), 16)
"""The large prime p, §3.1.1 (hex listing after eq. 3)."""

_R_HEX: Final = (
    "01 00000000 00000000 00000000 00000000 00000000 00000000 00000000 000000BC"
    "B17217F7 D1CF79AB C9E3B398 03F2F6AF 40F34326 7298B62D 8A0D175B 8BAB857A"
    "E8F42816 5418806C 62B0EA36 355A3A73 E0C74198 5BF6A0E3 130179BF 2F0B43E3"
    "3AD86292 3861B8C9 F768C416 9519600B AD06093F 964B27E0 2D868312 31A9160D"
    "E48F4DA5 3D8AB5E6 9E386B69 4BEC1AE7 22D47579 249D5424 767C5C33 B9151E07"
    "C5C11D10 6AC446D3 30B47DB5 9D352E47 A53157DE 04461900 F6FE360D B897DF53"
    "16D87C94 AE71DAD0 BE84B647 C4BCF818 C23A2D4E BB53C702 A5C8062D 19F5E9B5"
    "033A94F7 FF732F54 12971286 9D97B8C9 6C412921 A9D86797 70F499A0 41C297CF"
    "F79D4C91 49EB6CAF 67B9EA3D C563D965 F3AAD137 7FF22DE9 C3E62068 DD0ED615"
    "1C37B4F7 4634C2BD 09DA912F D599F433 3A8D2CC0 05627DCA 37BAD43E 64A39631"
    "19C0BFE3 4810A21E E7CFC421 D53398CB C7A95B3B F585E5A0 4B790E2F E1FE9BC2"
    "64FDA810 9F6454A0 82F5EFB2 F37EA237 AA29DF32 0D6EA860 C41A9054 CCD24876"
    "C6253F66 7BFB0139 B5531FF3 01899612 02FD2B0D 55A75272 C7FD7334 3F7899BC"
    "A0B36A4C 470A64A0 09244C84 E77CEBC9 2417D5BB 13BF1816 7D8033EB 6C4DD787"
    "9FD4A7F5 29FD4A7F 529FD4A7 F529FD4A 7F529FD4 A7F529FD 4A7F529F D4A7F52A"
)
R: Final[int] = int(_R_HEX.replace(" ", ""), 16)
"""The cofactor r = (p - 1)/q, §3.1.1 (hex listing)."""

_G_HEX: Final = (
    "36036FED 214F3B50 DC566D3A 312FE413 1FEE1C2B CE6D02EA 39B477AC 05F7F885"
    "F38CFE77 A7E45ACF 4029114C 4D7A9BFE 058BF2F9 95D2479D 3DDA618F FD910D3C"
    "4236AB2C FDD783A5 016F7465 CF59BBF4 5D24A22F 130F2D04 FE93B2D5 8BB9C1D1"
    "D27FC9A1 7D2AF49A 779F3FFB DCA22900 C14202EE 6C996160 34BE35CB CDD3E7BB"
    "7996ADFE 534B63CC A41E21FF 5DC778EB B1B86C53 BFBE9998 7D7AEA07 56237FB4"
    "0922139F 90A62F2A A8D9AD34 DFF799E3 3C857A64 68D001AC F3B681DB 87DC4242"
    "755E2AC5 A5027DB8 1984F033 C4D17837 1F273DBB 4FCEA1E6 28C23E52 759BC776"
    "5728035C EA26B44C 49A65666 889820A4 5C33DD37 EA4A1D00 CB62305C D541BE1E"
    "8A92685A 07012B1A 20A746C3 591A2DB3 815000D2 AACCFE43 DC49E828 C1ED7387"
    "466AFD8E 4BF19355 93B2A442 EEC271C5 0AD39F73 3797A1EA 11802A25 57916534"
    "662A6B7E 9A9E449A 24C8CFF8 09E79A4D 806EB681 119330E6 C57985E3 9B200B48"
    "93639FDF DEA49F76 AD1ACD99 7EBA1365 7541E79E C57437E5 04EDA9DD 01106151"
    "6C643FB3 0D6D58AF CCD28B73 FEDA29EC 12B01A5E B86399A5 93A9D5F4 50DE39CB"
    "92962C5E C6925348 DB54D128 FD99C14B 457F883E C20112A7 5A6A0581 D3D80A3B"
    "4EF09EC8 6F9552FF DA1653F1 33AA2534 983A6F31 B0EE4697 935A6B1E A2F75B85"
    "E7EBA151 BA486094 D68722B0 54633FEC 51CA3F29 B31E77E3 17B178B6 B9D8AE0F"
)
G: Final[int] = int(_G_HEX.replace(" ", ""), 16)
"""The generator g = 2^r mod p of the order-q subgroup, §3.1.1 (hex listing)."""

DELTA: Final[int] = 287975203778583638958138611533602521491887169409704874643524560756486080635197037903
"""The offset delta of §3.1.1: p = 2^4096 - 2^3840 + 2^256 (floor(2^3584 ln 2) + delta) + 2^256 - 1."""

LEN_P: Final = 512
"""Bytes in the encoding b(x, l_p) of an element of Z_p, §5.1.1."""
LEN_Q: Final = 32
"""Bytes in the encoding b(x, l_q) of an element of Z_q, §5.1.2."""

# gmpy2 ships no type information: every value it returns is ``Any`` to mypy. The few typed wrappers
# below are the only place gmpy2 is touched, so the rest of the package type-checks strictly.
_MPZ_P: Final = gmpy2.mpz(P)
_MPZ_Q: Final = gmpy2.mpz(Q)
_ONE: Final = gmpy2.mpz(1)


def mpz(x: int) -> int:
    """x as a gmpy2 integer (fast arithmetic); typed as ``int`` because it behaves as one."""
    return cast(int, gmpy2.mpz(x))


def from_bytes(data: bytes) -> int:
    """Big-endian bytes to a (gmpy2) integer, spec §5.1 eq. (97)."""
    return cast(int, gmpy2.mpz.from_bytes(data, "big"))


def powmod(base: int, exponent: int, modulus: int = P) -> int:
    """base^exponent mod modulus with GMP; the exponent must be non-negative."""
    return cast(int, gmpy2.powmod(base, exponent, modulus))


def powmod_secret(base: int, exponent: int) -> int:
    """base^exponent mod p for a *secret* exponent, with GMP's side-channel-hardened mpz_powm_sec."""
    e = exponent % Q
    if e == 0:  # mpz_powm_sec needs a positive exponent
        return 1
    return cast(int, gmpy2.powmod_sec(base, e, _MPZ_P))


def mul_p(*factors: int) -> int:
    """Product of elements mod p."""
    acc = _ONE
    for f in factors:
        acc = acc * f % _MPZ_P
    return cast(int, acc)


def prod_p(factors: Iterable[int]) -> int:
    """Product of an iterable of elements mod p (1 for an empty iterable)."""
    acc = _ONE
    for f in factors:
        acc = acc * f % _MPZ_P
    return cast(int, acc)


def inv_p(x: int) -> int:
    """The inverse of a non-zero x mod p."""
    return cast(int, gmpy2.invert(x, _MPZ_P))


def pow_p(base: int, exponent: int) -> int:
    """base^exponent mod p for a base in Z_p^r: the exponent is reduced mod q first (spec footnote 46)."""
    return cast(int, gmpy2.powmod(base, exponent % Q, _MPZ_P))


def pow_list(base: int, exponents: Sequence[int]) -> list[int]:
    """base^e mod p for several exponents in one GMP call (no Python loop between them)."""
    return cast(list[int], gmpy2.powmod_exp_list(base, [e % Q for e in exponents], _MPZ_P))


def is_in_subgroup(x: int) -> bool:
    """Membership in Z_p^r: 0 <= x < p and x^q mod p = 1 (Verification 2.A, 5.A, 6.A)."""
    return 0 <= x < P and gmpy2.powmod(x, _MPZ_Q, _MPZ_P) == 1


def all_in_subgroup(xs: Sequence[int]) -> list[bool]:
    """Membership in Z_p^r for many values, one GMP call for the exponentiations."""
    in_range = [0 <= x < P for x in xs]
    powers = cast(
        list[int],
        gmpy2.powmod_base_list([x if ok else 0 for x, ok in zip(xs, in_range, strict=True)], _MPZ_Q, _MPZ_P),
    )
    return [ok and y == 1 for ok, y in zip(in_range, powers, strict=True)]


BATCH_EXPONENT_BITS: Final = 64
"""Bits of the random exponents of :func:`batch_in_subgroup`: its soundness error is 2^-64."""

_BATCH_MIN: Final = 3
"""Below this many values a batch costs more than testing each one (x^q costs about one powmod)."""


def _sliding_windows(exponent: int, window: int) -> list[tuple[int, int]]:
    """(position, odd digit) pairs with exponent = sum digit * 2^position, windows at most
    ``window`` bits wide (left-to-right sliding windows: ~bits/(window + 1) of them)."""
    out: list[tuple[int, int]] = []
    i = exponent.bit_length() - 1
    while i >= 0:
        if not (exponent >> i) & 1:
            i -= 1
            continue
        low = max(i - window + 1, 0)
        while not (exponent >> low) & 1:  # end the window on a one bit: the digit is odd
            low += 1
        out.append((low, (exponent >> low) & ((1 << (i - low + 1)) - 1)))
        i = low - 1
    return out


def multi_pow(bases: Sequence[int], exponents: Sequence[int]) -> int:
    """prod_i bases[i]^exponents[i] mod p (non-negative exponents), by Straus's interleaving.

    One chain of squarings is shared by every base; each base adds a table of its odd powers and
    one multiplication per sliding window of its exponent. For 24 bases with 256-bit exponents
    that is ~1,700 multiplications instead of ~7,400 for separate powmods, for 50 bases with 64-bit
    exponents ~1,100 instead of ~4,000. Python-level multiplications cost about 1.4 times GMP's
    inside powmod, so this wins from two bases on. Not constant-time: public values only.
    """
    if len(bases) != len(exponents):
        raise ValueError("multi_pow needs one exponent per base")
    if any(e < 0 for e in exponents):
        raise ValueError("multi_pow needs non-negative exponents")
    bits = max((int(e).bit_length() for e in exponents), default=0)
    if bits == 0:
        return cast(int, _ONE)
    window = 3 if bits <= 96 else 5 if bits > 400 else 4
    # events[k]: the table entries to multiply in after the squaring for bit k
    events: list[list[int]] = [[] for _ in range(bits)]
    for base, e in zip(bases, exponents, strict=True):
        digits = _sliding_windows(int(e), window)
        if not digits:
            continue
        b = gmpy2.mpz(base) % _MPZ_P
        largest = max(d for _, d in digits)
        odd = [b]  # odd[k] = b^(2k + 1)
        if largest > 1:
            b2 = b * b % _MPZ_P
            for _ in range(largest // 2):
                odd.append(odd[-1] * b2 % _MPZ_P)
        for position, digit in digits:
            events[position].append(odd[digit // 2])
    acc = _ONE
    for k in range(bits - 1, -1, -1):
        if k != bits - 1:
            acc = acc * acc % _MPZ_P
        for factor in events[k]:
            acc = acc * factor % _MPZ_P
    return cast(int, acc)


def batch_in_subgroup(xs: Sequence[int], randbits: Callable[[int], int] = secrets.randbits) -> bool:
    """Whether every x is in Z_p^r, by one probabilistic batch test (Verification 2.A, 5.A, 6.A).

    Returns True whenever every x is a member. When some x is not, returns False except with
    probability at most 2^-64 over the random exponents (which must come from a source the author
    of the xs cannot predict: ``secrets`` by default). Callers that need to say *which* value
    failed run :func:`all_in_subgroup` after a False; a True is never re-checked.

    Why this is sound (and why both halves are needed). Z_p^* is cyclic of order
    p - 1 = 2 * q * (r/2) with q and r/2 distinct primes (§3.1.1; r/2 has 3,840 bits), so
    Z_p^r, the order-q subgroup, sits inside the quadratic residues QR, the subgroup of order
    q * (r/2).

    1. The Jacobi symbol (x | p) = 1 exactly when x is in QR. This alone is NOT membership:
       p is not a safe prime, and QR also holds the order-(r/2) elements (and their products with
       Z_p^r). It is needed because of the factor 2: without it, x = -y with y in Z_p^r has
       x^q = -1, which the product below cancels whenever its random exponent is even
       (probability 1/2), or together with a second such x.
    2. Small-exponent batch test (Bellare, Garay and Rabin, Eurocrypt 1998): with independent
       uniform 64-bit r_i, check (prod x_i^r_i)^q = 1. For x_i in QR, u_i = x_i^q lies in the
       subgroup of prime order r/2, and u_i = 1 exactly when x_i is in Z_p^r. If some u_k != 1 it
       generates that subgroup, so for any fixed values of the other r_i exactly one residue of r_k
       modulo r/2 makes prod u_i^r_i = 1; as r/2 > 2^64 at most one of the 2^64 equally likely r_k
       does: the test passes with probability at most 2^-64.

    Cost for n values: n Jacobi symbols (~0.03 powmod each), one Straus product with 64-bit
    exponents (~n/6 powmods) and one x^q: about n/4 + 1 powmods instead of n.
    """
    if not all(0 < x < P for x in xs):
        return False
    if len(xs) < _BATCH_MIN:
        return all(all_in_subgroup(xs))
    mpzs = [gmpy2.mpz(x) for x in xs]
    if not all_quadratic_residues(mpzs):
        return False
    rs = [randbits(BATCH_EXPONENT_BITS) for _ in mpzs]
    return bool(gmpy2.powmod(multi_pow(mpzs, rs), _MPZ_Q, _MPZ_P) == 1)


def all_quadratic_residues(xs: Iterable[int]) -> bool:
    """Whether every x is a non-zero quadratic residue mod p: Jacobi symbol (x | p) = 1, 0 < x < p.

    Not subgroup membership (the residues have order q * (r/2)); the half of a batch test that
    rules out the order-2 component (see :func:`batch_in_subgroup`).
    """
    return all(0 < x < P and gmpy2.jacobi(x, _MPZ_P) == 1 for x in xs)


def is_in_zq(x: int) -> bool:
    """Membership in Z_q: 0 <= x < q (Verification 2.B, 5.C)."""
    return 0 <= x < Q


def elem_bytes(x: int) -> bytes:
    """b(x, 512): the fixed-length big-endian encoding of an element of Z_p, spec §5.1.1 eq. (99)."""
    return x.to_bytes(LEN_P, "big")


def exp_bytes(x: int) -> bytes:
    """b(x, 32): the fixed-length big-endian encoding of an element of Z_q, spec §5.1.2 eq. (102)."""
    return x.to_bytes(LEN_Q, "big")


def lagrange_coefficient(i: int, available: Sequence[int]) -> int:
    """w_i = prod over l in U minus {i} of l/(l - i) mod q, spec §3.6.2 eq. (67).

    ``available`` is U, the 1-based indices of the guardians taking part; it must contain i.
    """
    numerator = 1
    denominator = 1
    for ell in available:
        if ell == i:
            continue
        numerator = numerator * ell % Q
        denominator = denominator * (ell - i) % Q
    return numerator * pow(denominator, -1, Q) % Q


class FixedBase:
    """Exponentiation of one fixed base in Z_p^r by exponents in Z_q, by precomputed windows.

    For 8-bit windows, row i holds base^(d * 256^i) for d in 0..255, i in 0..31, so that
    base^e = prod_i row_i[byte_i(e)]: 32 multiplications instead of ~300 in square-and-multiply.
    The table is built once (8,192 multiplications) and is read-only afterwards, so one instance
    may be shared by threads.
    """

    __slots__ = ("_rows", "base", "window_bits")

    WINDOW_BITS: Final = 8
    EXPONENT_BYTES: Final = LEN_Q

    def __init__(self, base: int) -> None:
        if not 1 < base < P:
            raise ValueError("a fixed base must be an element of Z_p other than 0 and 1")
        self.base = mpz(base)
        self.window_bits = self.WINDOW_BITS
        rows: list[list[int]] = []
        step = gmpy2.mpz(base)
        for _ in range(self.EXPONENT_BYTES):
            row = [_ONE] * 256
            acc = _ONE
            for d in range(1, 256):
                acc = acc * step % _MPZ_P
                row[d] = acc
            rows.append(cast(list[int], row))
            step = acc * step % _MPZ_P  # base^(256^(i+1)) = row_i[255] * base^(256^i)
        self._rows: tuple[list[int], ...] = tuple(rows)

    def pow(self, exponent: int) -> int:
        """base^exponent mod p; the exponent is reduced mod q (the base has order q)."""
        digits = (exponent % Q).to_bytes(self.EXPONENT_BYTES, "little")
        acc = _ONE
        for row, d in zip(self._rows, digits, strict=True):
            if d:
                acc = acc * row[d] % _MPZ_P
        return cast(int, acc)


@functools.lru_cache(maxsize=8)
def fixed_base(base: int) -> FixedBase:
    """The shared, read-only table for ``base`` (g or a joint key K), built once per process.

    Eight tables (~4 MiB each) cover g and the keys of the elections a node is working on; the
    cache avoids rebuilding K's table (~85 ms) for every ballot check or device.
    """
    return FixedBase(base)


def g_table() -> FixedBase:
    """The shared fixed-base table for g, built on first use (about 85 ms)."""
    return fixed_base(G)


def g_pow(exponent: int) -> int:
    """g^exponent mod p through the shared table."""
    return g_table().pow(exponent)


def check_standard_parameters() -> list[str]:
    """Re-derive the §3.1.1 properties of (p, q, r, g); return the failures (empty when all hold).

    Slow (two 4096-bit primality tests, about a second): for tests and for a paranoid verifier,
    not for every run.
    """
    failures: list[str] = []
    if not gmpy2.is_prime(Q, 50):
        failures.append("q is not prime")
    if not gmpy2.is_prime(P, 25):
        failures.append("p is not prime")
    if P - 1 != Q * R:
        failures.append("p - 1 != q * r")
    if R % Q == 0:
        failures.append("q divides r")
    if R % 2 != 0 or not gmpy2.is_prime(R // 2, 25):
        failures.append("r/2 is not prime")
    if powmod(2, R, P) != G:
        failures.append("g != 2^r mod p")
    if powmod(G, Q, P) != 1:
        failures.append("g^q != 1 mod p")
    with gmpy2.context(gmpy2.get_context(), precision=3700):
        ln2_bits = int(gmpy2.floor(gmpy2.log(2) * gmpy2.mpfr(2) ** 3584))
    expected = 2**4096 - 2**3840 + 2**256 * (ln2_bits + DELTA) + (2**256 - 1)
    if expected != P:
        failures.append("p does not match 2^4096 - 2^3840 + 2^256 (floor(2^3584 ln 2) + delta) + 2^256 - 1")
    if P.bit_length() != 4096 or Q.bit_length() != 256:
        failures.append("p or q has the wrong size")
    return failures
