/* Scaffolding: replaced by the ipc module's implementation. */
#include "../core/core.h"
int mk__ipc_init(mk_t *k) { (void)k; return 0; }
void mk__ipc_fini(mk_t *k) { (void)k; }
