/* Scaffolding: replaced by the proc module's implementation. */
#include "../core/core.h"
int mk__proc_init(mk_t *k) { (void)k; return 0; }
void mk__proc_fini(mk_t *k) { (void)k; }
