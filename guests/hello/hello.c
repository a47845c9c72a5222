/* The demo guest: greets, checks what kan tells it, measures a CPUID exit round trip. */
#include "guest.h"

#define ROUNDS 16

static uint64_t cpuid_round_trip(void)
{
	uint64_t best = ~0ull;
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t a, b, c, d;
		uint64_t t0 = guest_rdtsc();
		guest_cpuid(0, &a, &b, &c, &d);
		uint64_t t = guest_rdtsc() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

int64_t guest_main(const struct kan_start_info *info)
{
	guest_printf("hello from a 64-bit guest: I am '%s' (vm %u), %lu MiB of RAM\n", info->name,
		     info->vm_id, info->ram_size >> 20);
	uint32_t a, b, c, d;
	guest_cpuid(1, &a, &b, &c, &d);
	int vmx = (c >> 5) & 1, hypervisor = (c >> 31) & 1, svm = 0;
	guest_cpuid(0x80000000, &a, &b, &c, &d);
	if (a >= 0x80000001) {
		guest_cpuid(0x80000001, &a, &b, &c, &d);
		svm = (c >> 2) & 1;
	}
	guest_cpuid(0x40000000, &a, &b, &c, &d);
	char sig[13];
	__builtin_memcpy(sig, &b, 4);
	__builtin_memcpy(sig + 4, &c, 4);
	__builtin_memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	guest_printf("cpuid: hypervisor bit %d, VMX bit %d, SVM bit %d, signature '%s'\n",
		     hypervisor, vmx, svm, sig);
	guest_printf("cpuid exit round trip: %lu TSC ticks (best of %d)\n", cpuid_round_trip(),
		     ROUNDS);
	int64_t version = kan_hypercall(KAN_HC_VERSION, 0, 0, 0);
	int64_t bad = kan_hypercall(0xdead, 0, 0, 0);
	guest_printf("hypercalls: version %ld, unknown number answers %ld\n", version, bad);
	static const char message[] = "this line came through KAN_HC_CONSOLE_WRITE\n";
	kan_hypercall(KAN_HC_CONSOLE_WRITE, (uint64_t)message, sizeof(message) - 1, 0);
	int ok = hypervisor && !vmx && !svm && version == KAN_ABI_VERSION && bad == KAN_ENOSYS;
	guest_printf("hello guest done: %s\n", ok ? "all checks passed" : "A CHECK FAILED");
	return ok ? 0 : 1;
}
