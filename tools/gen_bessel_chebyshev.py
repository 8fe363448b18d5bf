"""Derive the Chebyshev coefficients of fnx's exponentially scaled Bessel functions
(kernels/common/fnx_scalar.h: fnx_bessel_i0e / fnx_bessel_i1e) with mpmath, and print them as
the C tables there.  Run:  python tools/gen_bessel_chebyshev.py

Each piece is a smooth function f of x on an interval, expanded in t in [-1, 1] as
sum' c_k T_k(t) (the first term halved, as the Clenshaw loop in fnx_scalar.h sums it):
    x in [0, 3]   (t = 2x/3 - 1)           e^-x I0(x)          and  e^-x I1(x) / x
    x in [3, 8]   (t = (2x - 11) / 5)      e^-x I0(x)          and  e^-x I1(x) / x
    x > 8         (t = 16 / x - 1)         sqrt(x) e^-x I0(x)  and  sqrt(x) e^-x I1(x)
The first two are entire in x; the last tend to 1/sqrt(2 pi) with an asymptotic expansion in
1/x, smooth on [0, 1/8] though not analytic at 0, so their coefficients fall more slowly.
Two pieces below 8, not one: over [0, 8] e^-x I(x) falls by a factor ~8 while the
coefficients do not, and summing them lost up to ~9 ulps; split at 3 the loss is < 2 ulps.
I1 / x rather than I1: I1e(x) = x * (that) keeps full relative precision as x -> 0.
The series is cut where |c_k| < 1e-18 times max |f| (truncation far below double's ulp).
"""
import mpmath

mpmath.mp.dps = 40
NODES = 100  # Chebyshev nodes of the discrete transform, well beyond the terms kept


def chebyshev(f, to_x):
    """Coefficients of f(to_x(t)) on t in [-1, 1], cut at 1e-18 relative."""
    ts = [mpmath.cos(mpmath.pi * (j + 0.5) / NODES) for j in range(NODES)]
    vals = [f(to_x(t)) for t in ts]  # the nodes avoid t = -1 (x = 0 or inf)
    coeffs = [2 * mpmath.fsum(vals[j] * mpmath.cos(mpmath.pi * k * (j + 0.5) / NODES)
                              for j in range(NODES)) / NODES for k in range(NODES)]
    scale = max(abs(v) for v in vals)
    while abs(coeffs[-1]) < 1e-18 * scale:
        coeffs.pop()
    return coeffs


def scaled(order, over_x):
    """e^-x I_order(x) (/ x)."""
    def f(x):
        v = mpmath.besseli(order, x) * mpmath.exp(-x)
        return v / x if over_x else v
    return f


def asymptotic(order):
    """sqrt(x) e^-x I_order(x)."""
    return lambda x: mpmath.sqrt(x) * mpmath.besseli(order, x) * mpmath.exp(-x)


PIECES = [
    ("FNX_I0E_LOW", scaled(0, False), lambda t: 1.5 * (t + 1)),
    ("FNX_I0E_MID", scaled(0, False), lambda t: (5 * t + 11) / 2),
    ("FNX_I0E_HIGH", asymptotic(0), lambda t: 16 / (t + 1)),
    ("FNX_I1E_LOW", scaled(1, True), lambda t: 1.5 * (t + 1)),
    ("FNX_I1E_MID", scaled(1, True), lambda t: (5 * t + 11) / 2),
    ("FNX_I1E_HIGH", asymptotic(1), lambda t: 16 / (t + 1)),
]


def c_table(name, coeffs):
    nums = [repr(float(c)) for c in coeffs]
    lines, line = [], "   "
    for n in nums:
        if len(line) + len(n) + 2 > 92:
            lines.append(line + " \\")
            line = "   "
        line += " " + n + ","
    lines.append(line.rstrip(","))
    return f"#define {name}_N {len(coeffs)}\n#define {name} \\\n" + "\n".join(lines)


if __name__ == "__main__":
    for name, f, to_x in PIECES:
        print(c_table(name, chebyshev(f, to_x)))
