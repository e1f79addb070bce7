/*
 * sched.c - the simulated CPU: waking, context switches and mk_run (the
 * virtual clock and kernel-entry charging are in entry.c; ready queues,
 * timers and priorities in runq.c).
 *
 * Sits on core (hash map, trace) and the pid table of proc.c. Interface for
 * other modules: sched.h; between proc files: proc_int.h.
 *
 * Scheduling is the classic fixed-priority preemptive scheduler with
 * round robin inside a level (the seed's mini-kernel; Liu & Layland's
 * fixed-priority model; the O(1) pick is the Linux 2.6 O(1) scheduler's
 * "bitmap of non-empty priority arrays + FIFO per level"). A slice that runs
 * out only sets need_resched; the body switches at its next kernel entry,
 * like the seed's software interrupt at level 1 (non-expropriative kernel).
 *
 * Context switches: every switch goes body -> scheduler (the mk_run
 * thread's own context) -> body. A fiber body is a ucontext on an mmap'd
 * stack (makecontext/swapcontext, POSIX.1-2001); a THREAD body is an OS
 * thread that runs only while p->baton names it. Sanitizers are told about
 * fiber switches (ASan __sanitizer_{start,finish}_switch_fiber, TSan
 * __tsan_{create,switch_to,destroy}_fiber) so the suites stay clean.
 *
 * Locking: everything here runs under struct mk__proc.lock unless a
 * function says otherwise. A fiber switch hands the lock over to the
 * fiber that runs next (same OS thread; see MK__SWITCH_UNLOCK; under TSan
 * it is released and re-taken instead); a THREAD body's switch releases
 * it in its condvar wait. It is released around the tick hook and exit
 * hooks.
 */
#include "proc_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define MK__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MK__ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define MK__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MK__TSAN 1
#endif
#endif

#if defined(MK__ASAN) && !(defined(__x86_64__) && defined(__GNUC__) && !defined(MK_NO_FAST_SWITCH))
#include <dlfcn.h>
/* ASan's swapcontext interceptor prints a warning on first use and only
 * clears the new stack's shadow, which we do ourselves (fresh mmap, and
 * unpoison before munmap): call libc's swapcontext directly instead. */
static int (*mk__real_swap)(ucontext_t *, const ucontext_t *);
static int mk__swapcontext(ucontext_t *from, const ucontext_t *to)
{
    if (mk__real_swap == NULL) {
        mk__real_swap = (int (*)(ucontext_t *, const ucontext_t *))dlsym(RTLD_NEXT, "swapcontext");
        if (mk__real_swap == NULL)
            mk__real_swap = swapcontext;
    }
    return mk__real_swap(from, to);
}
#define swapcontext mk__swapcontext
#endif
#ifdef MK__ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif
#ifdef MK__TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

/* Context switch. On x86-64 with GCC/Clang a hand-written switch saves
 * only what the SysV ABI says a callee must preserve (rbx, rbp, r12-r15,
 * rsp, the SSE control word and the x87 control word), as in boost.context
 * and libco; swapcontext also saves the signal mask with a system call,
 * which costs several times more. Elsewhere: ucontext. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(MK_NO_FAST_SWITCH)
#define MK__FAST_CTX 1
void mk__ctx_switch(void **save_sp, void *new_sp);
__asm__(".text\n"
        ".globl mk__ctx_switch\n"
        ".hidden mk__ctx_switch\n"
        ".type mk__ctx_switch,@function\n"
        "mk__ctx_switch:\n"
        "  pushq %rbp\n"
        "  pushq %rbx\n"
        "  pushq %r12\n"
        "  pushq %r13\n"
        "  pushq %r14\n"
        "  pushq %r15\n"
        "  subq $8, %rsp\n"
        "  stmxcsr (%rsp)\n"
        "  fnstcw 4(%rsp)\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  ldmxcsr (%rsp)\n"
        "  fldcw 4(%rsp)\n"
        "  addq $8, %rsp\n"
        "  popq %r15\n"
        "  popq %r14\n"
        "  popq %r13\n"
        "  popq %r12\n"
        "  popq %rbx\n"
        "  popq %rbp\n"
        "  ret\n"
        ".size mk__ctx_switch, .-mk__ctx_switch\n");
#endif

_Thread_local struct mk__tls mk__tls;

/* The scheduler lock across a fiber switch. Fibers of one context all run
 * on the mk_run thread, and glibc's default mutex records only the owner's
 * thread id, which they share: so the lock is simply kept held across the
 * switch and released by whoever runs next (the resumed fiber returns
 * from mk__switch_out / mk__dispatch with it held, a new fiber releases it
 * in mk__fiber_entry). That saves an unlock and a relock per switch.
 * ThreadSanitizer models each fiber as a thread of its own and would see
 * an unlock by a non-owner, so under TSan the lock is released before the
 * switch and re-taken after it, as a thread would. */
#ifdef MK__TSAN
#define MK__SWITCH_UNLOCK(p) pthread_mutex_unlock(&(p)->lock)
#define MK__SWITCH_RELOCK(p) pthread_mutex_lock(&(p)->lock)
#define MK__ENTRY_UNLOCK(p) ((void)(p))
#else
#define MK__SWITCH_UNLOCK(p) ((void)(p))
#define MK__SWITCH_RELOCK(p) ((void)(p))
#define MK__ENTRY_UNLOCK(p) pthread_mutex_unlock(&(p)->lock)
#endif

mk_pid_t mk__sched_current(mk_t *k)
{
    struct mk__pcb *pcb = mk__self_pcb(k);
    return pcb != NULL ? pcb->pid : 0;
}

mk_pid_t mk__sched_self_or(mk_t *k, mk_pid_t pid)
{
    return pid != 0 ? pid : mk__sched_current(k);
}

struct mk__pcb *mk__pcb_get(struct mk__proc *p, mk_pid_t pid)
{
    return mk__hmap_get(&p->table, pid);
}

/* ---- waking ------------------------------------------------------------------ */

void mk__sched_ready_locked(mk_t *k, struct mk__pcb *pcb, int code)
{
    struct mk__proc *p = k->proc;
    if (pcb->state != MK_PROC_BLOCKED && pcb->state != MK_PROC_SLEEPING)
        return;
    pcb->state = MK_PROC_READY;
    pcb->timer_gen++; /* its timer, if any, is void */
    mk__rq_push(p, pcb, false);
    mk__trace_emit(k, MK_EV_WAKE, pcb->pid, (uint64_t)(uint32_t)code,
                   mk__sched_current(k));
    if (p->current != NULL && pcb->prio > p->current->prio)
        p->need_resched = true;
    if (p->idle)
        pthread_cond_signal(&p->run_cond); /* mk_run waits for a host wake */
}

/* ---- context switches ------------------------------------------------------ */

/* The fiber that runs next when self switches out, if it can be entered
 * directly (started, not killed, a fiber) and mk_run has nothing else to do
 * first (no stop, limit not reached): the same choice mk_run would make,
 * without the detour through its context. NULL: go through mk_run. */
static struct mk__pcb *mk__direct_next(mk_t *k, struct mk__pcb *self)
{
    struct mk__proc *p = k->proc;
    if (p->stop || atomic_load(&k->ticks) >= p->limit)
        return NULL;
    int l = mk__rq_top(p);
    if (l < 0)
        return NULL;
    struct mk__pcb *n = p->rq[l].head;
    if (n == self || (n->flags & MK_PROC_THREAD) || !n->started || n->killed)
        return NULL;
    mk__rq_remove(p, n);
    return n;
}

static void mk__dispatch_prep(mk_t *k, struct mk__pcb *pcb, mk_pid_t prev);

void mk__switch_out(mk_t *k, struct mk__pcb *self)
{
    struct mk__proc *p = k->proc;
    p->current = NULL;
    if (self->flags & MK_PROC_THREAD) {
        p->back = self;
        p->baton = NULL;
        pthread_cond_signal(&p->run_cond);
        while (p->baton != self)
            pthread_cond_wait(&self->baton_cond, &p->lock);
        if (p->dying) {
            /* mk_destroy: the objects this body waited in are gone. */
            pthread_mutex_unlock(&p->lock);
            pthread_exit(NULL);
        }
        return;
    }
    struct mk__pcb *next = mk__direct_next(k, self);
    void *to_sp;
    const void *to_stack;
    size_t to_size;
    if (next != NULL) {
        mk__dispatch_prep(k, next, self->pid);
        mk__tls.pcb = next;
        to_sp = next->sp;
        to_stack = (char *)next->stack + 4096;
        to_size = next->stack_size - 4096;
    } else {
        p->back = self;
        to_sp = p->main_sp;
        to_stack = p->main_stack;
        to_size = p->main_stack_size;
    }
    (void)to_sp;
    (void)to_stack;
    (void)to_size;
    MK__SWITCH_UNLOCK(p);
#ifdef MK__ASAN
    __sanitizer_start_switch_fiber(&self->asan_fake, to_stack, to_size);
#endif
#ifdef MK__TSAN
    __tsan_switch_to_fiber(next != NULL ? next->tsan_fiber : p->tsan_main, 0);
#endif
#ifdef MK__FAST_CTX
    mk__ctx_switch(&self->sp, to_sp);
#else
    swapcontext(&self->uc, next != NULL ? &next->uc : &p->main_uc);
#endif
#ifdef MK__ASAN
    __sanitizer_finish_switch_fiber(self->asan_fake, NULL, NULL);
#endif
    MK__SWITCH_RELOCK(p);
}

void mk__body_die(mk_t *k, struct mk__pcb *self, int32_t status)
{
    struct mk__proc *p = k->proc;
    if (!self->ended) {
        self->ended = true;
        self->status = self->killed ? -1 : status;
    }
    if (self->flags & MK_PROC_THREAD)
        return; /* the thread ends when its body returns */
    p->current = NULL;
    p->back = self;
    MK__SWITCH_UNLOCK(p);
#ifdef MK__ASAN
    __sanitizer_start_switch_fiber(NULL, p->main_stack, p->main_stack_size);
#endif
#ifdef MK__TSAN
    __tsan_switch_to_fiber(p->tsan_main, 0);
#endif
#ifdef MK__FAST_CTX
    mk__ctx_switch(&self->sp, p->main_sp);
#else
    swapcontext(&self->uc, &p->main_uc);
#endif
    abort(); /* an ended fiber is never resumed */
}

static void mk__fiber_entry(void)
{
    mk_t *k = mk__tls.k;
    struct mk__pcb *self = mk__tls.pcb;
    struct mk__proc *p = k->proc;
#ifdef MK__ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    MK__ENTRY_UNLOCK(p); /* held by whoever switched here */
    int st = self->body(k, self->arg);
    pthread_mutex_lock(&p->lock);
    mk__body_die(k, self, st);
}

#ifdef MK__FAST_CTX
/* First instruction of a new fiber (reached by mk__ctx_switch's ret). */
static void mk__fiber_tramp(void)
{
    mk__fiber_entry();
}
#endif

struct mk__thread_arg {
    mk_t *k;
    struct mk__pcb *pcb;
};

static void *mk__thread_main(void *arg)
{
    struct mk__thread_arg a = *(struct mk__thread_arg *)arg;
    free(arg);
    mk_t *k = a.k;
    struct mk__pcb *self = a.pcb;
    struct mk__proc *p = k->proc;
    mk__tls.k = k;
    mk__tls.pcb = self;
    pthread_mutex_lock(&p->lock);
    while (p->baton != self)
        pthread_cond_wait(&self->baton_cond, &p->lock);
    if (p->dying) {
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    if (!self->killed) {
        pthread_mutex_unlock(&p->lock);
        int st = self->body(k, self->arg);
        pthread_mutex_lock(&p->lock);
        mk__body_die(k, self, st);
    } else {
        mk__body_die(k, self, -1);
    }
    p->current = NULL;
    p->back = self;
    p->baton = NULL;
    pthread_cond_signal(&p->run_cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int mk__fiber_make(struct mk__pcb *pcb, size_t size)
{
    size_t page = 4096;
    size = (size + page - 1) & ~(page - 1);
    void *s = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return MK_ENOMEM;
    mprotect(s, page, PROT_NONE); /* guard page below the stack */
    pcb->stack = s;
    pcb->stack_size = size + page;
#ifdef MK__FAST_CTX
    /* Initial frame, as mk__ctx_switch leaves it: control words, six
     * callee-saved registers, then the "return address" mk__fiber_tramp at
     * a 16-byte aligned slot (so the entry sees rsp = 8 mod 16, as after a
     * call), and a zero return address above it. */
    uint64_t *top = (uint64_t *)((char *)s + page + size);
    top -= 2;
    top[1] = 0;
    top[0] = (uint64_t)(uintptr_t)mk__fiber_tramp;
    top -= 6;
    memset(top, 0, 6 * sizeof *top);
    top -= 1;
    top[0] = (uint64_t)0x1F80 | ((uint64_t)0x037F << 32); /* MXCSR, x87 CW */
    pcb->sp = top;
#else
    if (getcontext(&pcb->uc) != 0) {
        munmap(s, size + page);
        pcb->stack = NULL;
        return MK_ENOMEM;
    }
    pcb->uc.uc_stack.ss_sp = (char *)s + page;
    pcb->uc.uc_stack.ss_size = size;
    pcb->uc.uc_link = NULL;
    makecontext(&pcb->uc, mk__fiber_entry, 0);
#endif
#ifdef MK__TSAN
    pcb->tsan_fiber = __tsan_create_fiber(0);
#endif
    return 0;
}

static void mk__fiber_free(struct mk__pcb *pcb)
{
    if (pcb->stack != NULL) {
#ifdef MK__ASAN
        __asan_unpoison_memory_region(pcb->stack, pcb->stack_size);
#endif
        munmap(pcb->stack, pcb->stack_size);
        pcb->stack = NULL;
    }
#ifdef MK__TSAN
    if (pcb->tsan_fiber != NULL) {
        __tsan_destroy_fiber(pcb->tsan_fiber);
        pcb->tsan_fiber = NULL;
    }
#endif
}

void mk__pcb_free(struct mk__pcb *pcb)
{
    mk__fiber_free(pcb);
    if (pcb->bodied)
        pthread_cond_destroy(&pcb->baton_cond);
    free(pcb);
}

static void mk__dispatch_prep(mk_t *k, struct mk__pcb *pcb, mk_pid_t prev)
{
    struct mk__proc *p = k->proc;
    p->current = pcb;
    pcb->state = MK_PROC_RUNNING;
    if (pcb->slice_left == 0)
        pcb->slice_left = k->cfg.quantum_ticks;
    p->need_resched = false;
    mk__trace_emit(k, MK_EV_SWITCH, pcb->pid, prev, 0);
}

/* Run pcb; returns the body that gave the CPU back (pcb itself, or, after
 * fibers switched among themselves, another one). */
static struct mk__pcb *mk__dispatch(mk_t *k, struct mk__pcb *pcb, mk_pid_t prev)
{
    struct mk__proc *p = k->proc;
    mk__dispatch_prep(k, pcb, prev);
    p->back = pcb;
    if (pcb->killed && !pcb->started) {
        pcb->ended = true;
        pcb->status = -1;
        p->current = NULL;
        return pcb;
    }
    pcb->started = true;
    if (pcb->flags & MK_PROC_THREAD) {
        p->baton = pcb;
        if (!pcb->thread_made) {
            struct mk__thread_arg *a = malloc(sizeof *a);
            pthread_attr_t at;
            int rc = a == NULL ? -1 : pthread_attr_init(&at);
            if (rc == 0) {
                if (pcb->stack_size != 0)
                    pthread_attr_setstacksize(&at, pcb->stack_size);
                a->k = k;
                a->pcb = pcb;
                rc = pthread_create(&pcb->thread, &at, mk__thread_main, a);
                pthread_attr_destroy(&at);
            }
            if (rc != 0) {
                free(a);
                p->baton = NULL;
                pcb->ended = true;
                pcb->status = MK_ENOMEM;
                p->current = NULL;
                return pcb;
            }
            pcb->thread_made = true;
        } else {
            pthread_cond_signal(&pcb->baton_cond);
        }
        while (p->baton == pcb)
            pthread_cond_wait(&p->run_cond, &p->lock);
        return pcb;
    }
    mk__tls.pcb = pcb;
    MK__SWITCH_UNLOCK(p);
#ifdef MK__ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, (char *)pcb->stack + 4096, pcb->stack_size - 4096);
#endif
#ifdef MK__TSAN
    __tsan_switch_to_fiber(pcb->tsan_fiber, 0);
#endif
#ifdef MK__FAST_CTX
    mk__ctx_switch(&p->main_sp, pcb->sp);
#else
    swapcontext(&p->main_uc, &pcb->uc);
#endif
#ifdef MK__ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    mk__tls.pcb = NULL;
    MK__SWITCH_RELOCK(p);
    return p->back;
}

/* A body ended: release its stack or thread, run the exit hooks, make it
 * a zombie and wake whoever waits for it. Lock held; released inside. */
void mk__sched_finish(mk_t *k, struct mk__pcb *pcb)
{
    struct mk__proc *p = k->proc;
    if (pcb->thread_made) {
        pthread_t t = pcb->thread;
        pcb->thread_made = false;
        pthread_mutex_unlock(&p->lock);
        pthread_join(t, NULL);
        pthread_mutex_lock(&p->lock);
    }
    mk__fiber_free(pcb);
    pcb->phase = MK__P_EXITING;
    pcb->state = MK_PROC_ZOMBIE;
    pcb->timer_gen++;
    mk__rq_remove(p, pcb);
    pthread_mutex_unlock(&p->lock);
    mk__hooks_run_exit(k, pcb->pid);
    pthread_mutex_lock(&p->lock);
    pcb->phase = MK__P_ZOMBIE;
    p->bodies--;
    size_t cur = 0;
    struct mk__pcb *c;
    while ((c = mk__hmap_next(&p->table, &cur, NULL)) != NULL)
        if (c->parent == pcb->pid)
            c->parent = 0; /* orphans go to the host */
    mk__trace_emit(k, MK_EV_EXIT, pcb->pid, (uint64_t)(uint32_t)pcb->status, pcb->killed);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_lock(&p->exit_lock);
    mk__wq_wake_all(k, &pcb->exit_wq, 0);
    pthread_mutex_unlock(&p->exit_lock);
    pthread_mutex_lock(&p->lock);
}

int mk_run(mk_t *k, uint64_t max_ticks, uint32_t *reason)
{
    MK__CHECK(k);
    if (mk__self_pcb(k) != NULL)
        return MK_EBUSY;
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    if (p->in_run) {
        pthread_mutex_unlock(&p->lock);
        return MK_EBUSY;
    }
    p->in_run = true;
    uint64_t now = atomic_load(&k->ticks);
    p->limit = (max_ticks == MK_FOREVER || now + max_ticks < now) ? UINT64_MAX : now + max_ticks;
    mk_t *old_k = mk__tls.k;
    struct mk__pcb *old_pcb = mk__tls.pcb;
    mk__tls.k = k;
    mk__tls.pcb = NULL;
#ifdef MK__TSAN
    p->tsan_main = __tsan_get_current_fiber();
#endif
#ifdef MK__ASAN
    {
        pthread_attr_t at;
        void *lo = NULL;
        size_t sz = 0;
        if (pthread_getattr_np(pthread_self(), &at) == 0) {
            pthread_attr_getstack(&at, &lo, &sz);
            pthread_attr_destroy(&at);
        }
        p->main_stack = lo;
        p->main_stack_size = sz;
    }
#endif
    uint32_t why;
    mk_pid_t prev = 0;
    for (;;) {
        if (p->stop) {
            why = MK_RUN_STOPPED;
            break;
        }
        if (p->bodies == 0) {
            why = MK_RUN_DONE;
            break;
        }
        now = atomic_load(&k->ticks);
        if (now >= p->limit) {
            why = MK_RUN_TICKS;
            break;
        }
        struct mk__pcb *pcb = mk__rq_pick(p);
        if (pcb == NULL) {
            const struct mk__timer *t = mk__timer_top(p);
            if (t != NULL) {
                /* Idle: jump to the next timer (or the limit). */
                uint64_t to = t->when < p->limit ? t->when : p->limit;
                uint64_t from = mk__clock_locked(k, to > now ? to - now : 0, NULL);
                pthread_mutex_unlock(&p->lock);
                mk__tick_hook_run(k, from, to > now ? to : now);
                pthread_mutex_lock(&p->lock);
            } else if (p->limit != UINT64_MAX) {
                /* Idle with no timer: the CPU idles up to the limit. */
                uint64_t from = mk__clock_locked(k, p->limit - now, NULL);
                pthread_mutex_unlock(&p->lock);
                mk__tick_hook_run(k, from, p->limit);
                pthread_mutex_lock(&p->lock);
            } else {
                p->idle = true;
                pthread_cond_wait(&p->run_cond, &p->lock); /* a host thread will wake one */
                p->idle = false;
            }
            prev = 0;
            continue;
        }
        struct mk__pcb *back = mk__dispatch(k, pcb, prev);
        prev = back->pid;
        if (back->ended) {
            mk__sched_finish(k, back);
            prev = 0;
        }
    }
    p->stop = false;
    p->in_run = false;
    p->current = NULL;
    pthread_mutex_unlock(&p->lock);
    mk__tls.k = old_k;
    mk__tls.pcb = old_pcb;
    if (reason != NULL)
        *reason = why;
    return 0;
}

int mk_stop(mk_t *k)
{
    MK__CHECK(k);
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    p->need_resched = true;
    pthread_cond_signal(&p->run_cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* ---- teardown ------------------------------------------------------------------- */

/* mk_destroy: the modules above are gone, so a suspended THREAD body is
 * ended where it waits (pthread_exit inside mk__switch_out) instead of
 * returning into freed objects; fibers are simply abandoned (nothing
 * outside their stacks refers to them any more). */
void mk__sched_fini_bodies(mk_t *k)
{
    struct mk__proc *p = k->proc;
    pthread_mutex_lock(&p->lock);
    p->dying = true;
    size_t cur = 0;
    struct mk__pcb *pcb;
    while ((pcb = mk__hmap_next(&p->table, &cur, NULL)) != NULL) {
        if (!pcb->thread_made)
            continue;
        p->baton = pcb;
        pthread_cond_signal(&pcb->baton_cond);
        pthread_t t = pcb->thread;
        pcb->thread_made = false;
        pthread_mutex_unlock(&p->lock);
        pthread_join(t, NULL);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
}
