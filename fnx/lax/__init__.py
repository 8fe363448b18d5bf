"""fnx.lax: the primitives of fnx and thin wrappers over them (names as in jax.lax)."""
from .elementwise import *  # noqa: F401,F403
from .elementwise import (BINARY_PRIMITIVES, UNARY_PRIMITIVES, RoundingMethod, abs, add, and_,
                          max, min, not_, or_, pow, round, xor)
from .indexing import *  # noqa: F401,F403
from .indexing import SCATTER_PRIMITIVES
from .linalg import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .fft import *  # noqa: F401,F403
from .random_bits import *  # noqa: F401,F403
from .special import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .reduction import CUMULATIVE_PRIMITIVES, REDUCE_PRIMITIVES
from .shape import *  # noqa: F401,F403
from .shape import slice  # noqa: F401
from ._in_dim import *  # noqa: F401,F403
from ._precision import *  # noqa: F401,F403
from ._reduce_generic import *  # noqa: F401,F403
from ._bits import *  # noqa: F401,F403
from ._topk import *  # noqa: F401,F403
from ._convenience import *  # noqa: F401,F403
from ._conv_extras import *  # noqa: F401,F403
from .scan_util import associative_scan  # noqa: F401
from ..interpreters import array_ops as _array_ops
from . import elementwise as _elementwise, reduction as _reduction, shape as _shape

# the operations the interpreters (a layer below) build tangents and batched values with
_array_ops.install(add=add, broadcast_in_dim=_shape.broadcast_in_dim,
                   transpose=_shape.transpose, reduce_sum=_reduction.reduce_sum,
                   convert_element_type=_elementwise.convert_element_type)
from .control_flow import cond, scan, switch, while_loop  # noqa: F401
from ._loop_helpers import fori_loop, map  # noqa: F401,A004
from .implicit import custom_root, fixed_point  # noqa: F401
from ..interpreters.remat import optimization_barrier  # noqa: F401
