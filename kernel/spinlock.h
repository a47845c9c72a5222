/* A test-and-set spinlock for the few structures CPUs share (the console, the frame allocator). */
#ifndef KAN_KERNEL_SPINLOCK_H
#define KAN_KERNEL_SPINLOCK_H

#include <stdbool.h>

#include "arch/x86_64/cpu.h"

struct spinlock {
	volatile int locked;
};

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (l->locked)
			cpu_relax();
}

/* Takes the lock if it is free; false if another CPU holds it. */
static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
