/* Which backend runs the vCPUs: the one whose technique this CPU has. */
#include "kernel/vcpu_backend.h"
#include "kernel/console.h"

const struct vcpu_backend *backend;

static const struct vcpu_backend *const backends[] = { &vmx_backend, &svm_backend };
static const char *why_not = "not probed";

bool backend_probe(void)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const struct vcpu_backend *b = backends[i];
		if (!b->present())
			continue;
		if (!b->probe()) {
			why_not = b->why_not();
			return false;
		}
		backend = b;
		printk("kan: backend: %s\n", b->name);
		return true;
	}
	printk("kan: neither VT-x nor AMD-V: CPUID.1:ECX.VMX[bit 5] and "
	       "CPUID.80000001h:ECX.SVM[bit 2] are 0.\n"
	       "kan:   This CPU (or emulator) offers no hardware virtualization; kan needs it. "
	       "Use a VT-x\n"
	       "kan:   or AMD-V machine, QEMU with KVM and nested virtualization, QEMU with "
	       "-cpu EPYC,+svm,+npt, or Bochs.\n");
	why_not = "no VT-x or AMD-V (CPUID.1:ECX.VMX and CPUID.80000001h:ECX.SVM are 0)";
	return false;
}

const char *backend_why_not(void)
{
	return why_not;
}

const char *backend_name(void)
{
	return backend ? backend->name : "none";
}
