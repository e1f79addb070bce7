/* Scaffolding: replaced by the blk module's implementation. */
#include "../core/core.h"
int mk__blk_init(mk_t *k) { (void)k; return 0; }
int mk__blk_fini(mk_t *k) { (void)k; return 0; }
