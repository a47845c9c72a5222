#include "kernel/hypercall.h"
#include "guests/include/kan_guest.h"
#include "kernel/report.h"
#include "kernel/string.h"
#include "kernel/time.h"

#define CONSOLE_WRITE_MAX 4096 /* per call: the guest loops for more */

static int64_t hc_console_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
	/* The whole range must be the VM's, even the part beyond what one call takes. */
	const char *text = vm_guest_ptr(vm, gpa, len);
	if (!text)
		return KAN_EFAULT;
	if (len > CONSOLE_WRITE_MAX)
		len = CONSOLE_WRITE_MAX;
	return (int64_t)vuart_write_budgeted(&vm->uart, text, len);
}

#define REPORT_CONSOLE_COST 2048

/* The table is console output like any other: the VM pays for it from its budget. */
static int64_t hc_report(struct vm *vm)
{
	if (console_budget_available(&vm->uart.budget) < REPORT_CONSOLE_COST)
		return KAN_EBUSY;
	console_budget_spend(&vm->uart.budget, REPORT_CONSOLE_COST);
	vuart_flush(&vm->uart);
	report_vm_table();
	return 0;
}

static int64_t hc_vm_info(struct vcpu *vcpu, uint64_t gpa)
{
	struct kan_vm_info *info = vm_guest_ptr(vcpu->vm, gpa, sizeof(*info));
	if (!info)
		return KAN_EFAULT;
	memset(info, 0, sizeof(*info));
	info->vm_id = vcpu->vm->id;
	info->cpu = vcpu->cpu;
	info->ram_size = vcpu->vm->config.mem;
	strlcpy(info->name, vcpu->vm->config.name, sizeof(info->name));
	return 0;
}

enum hypercall_next hypercall_dispatch(struct vcpu *vcpu)
{
	struct guest_regs *r = &vcpu->regs;
	int64_t result;
	switch (r->rax) {
	case KAN_HC_VERSION:
		result = KAN_ABI_VERSION;
		break;
	case KAN_HC_EXIT:
		vm_exit(vcpu->vm, (int64_t)r->rdi);
		return HYPERCALL_ENDED;
	case KAN_HC_CONSOLE_WRITE:
		result = hc_console_write(vcpu->vm, r->rdi, r->rsi);
		break;
	case KAN_HC_YIELD:
		r->rax = 0;
		return HYPERCALL_YIELD;
	case KAN_HC_TIME_NS:
		result = (int64_t)time_now_ns();
		break;
	case KAN_HC_VM_INFO:
		result = hc_vm_info(vcpu, r->rdi);
		break;
	case KAN_HC_REPORT:
		result = hc_report(vcpu->vm);
		break;
	default:
		result = KAN_ENOSYS;
		break;
	}
	r->rax = (uint64_t)result;
	return HYPERCALL_RESUME;
}
