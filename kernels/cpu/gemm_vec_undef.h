/* Forget one element type's vector-op macros (VSET1 ... VLANES) before linalg.c defines the
 * next type's and instantiates gemm_tiles.h with them again.  No include guard: it is meant
 * to be included once per element type. */
#undef VSET1
#undef VFMA
#undef VLOAD
#undef VLOADU
#undef VMLOADU
#undef VSTORE
#undef VSTOREU
#undef VMSTOREU
#undef VADD
#undef VMAX
#undef VZERO
#undef VNANMASK
#undef VBLEND
#undef VREDUCE
#undef VLANES
