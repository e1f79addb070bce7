/* Scaffolding: replaced by the sync module's implementation. */
#include "../core/core.h"
int mk__sync_init(mk_t *k) { (void)k; return 0; }
void mk__sync_fini(mk_t *k) { (void)k; }
