/* Scaffolding: replaced by the mem module's implementation. */
#include "../core/core.h"
int mk__mem_init(mk_t *k) { (void)k; return 0; }
void mk__mem_fini(mk_t *k) { (void)k; }
