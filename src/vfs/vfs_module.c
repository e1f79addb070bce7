/* Scaffolding: replaced by the vfs module's implementation. */
#include "../core/core.h"
int mk__vfs_init(mk_t *k) { (void)k; return 0; }
int mk__vfs_fini(mk_t *k) { (void)k; return 0; }
