/* A VM's address space under VT-x: EPT mapping its RAM and nothing else. */
#include "kernel/console.h"
#include "kernel/memory.h"
#include "kernel/vcpu_backend.h"
#include "kernel/gpt.h"
#include "vmx/vmx_defs.h"
#include "vmx/vmx_cpu.h"
#include "vmx/vmx_insn.h"

bool vmx_vm_create(struct vm *vm)
{
	uint64_t state = phys_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!state)
		return false;
	struct vmx_vm *vx = phys_to_ptr(state);
	struct gpt_stats stats = { 0 };
	uint64_t pml4 = gpt_create(&gpt_frames, &stats);
	if (!pml4 || gpt_map(&gpt_frames, pml4, 0, vm->ram_base, vm->config.mem,
			     EPT_RWX | EPT_MEMTYPE_WB, vmx_controls.ept_largest_level, &stats)) {
		printk("kan: vm %s: could not build its EPT (out of memory)\n", vm->config.name);
		return false;
	}
	vx->eptp = pml4 | EPTP_MEMTYPE_WB | EPTP_WALK_4;
	vx->ept_tables = stats.tables;
	vm->backend = vx;
	vm->kan_bytes += (1 + stats.tables) * PAGE_SIZE;
	printk("kan: vm %s: EPT maps %lu MiB with %u x 1G, %u x 2M, %u x 4K pages in %u tables\n",
	       vm->config.name, vm->config.mem >> 20, stats.pages[3], stats.pages[2],
	       stats.pages[1], stats.tables);
	return true;
}

void vmx_vm_destroy(struct vm *vm)
{
	struct vmx_vm *vx = vm->backend;
	for (unsigned i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i].backend)
			vmx_vcpu_destroy(&vm->vcpus[i]);
	/* No CPU may keep translations of memory that goes back to kan (SDM 29.4.3.1). */
	if (invept(INVEPT_SINGLE_CONTEXT, vx->eptp) != VMX_OK)
		invept(INVEPT_ALL_CONTEXTS, 0);
	gpt_destroy(&gpt_frames, vx->eptp & EPT_ADDRESS_MASK);
	phys_free((uint64_t)vx, PAGE_SIZE);
	vm->backend = NULL;
	vm->kan_bytes = 0;
}
