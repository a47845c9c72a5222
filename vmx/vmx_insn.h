/* The VMX instructions as C functions; each returns how it ended (SDM 31.2 conventions). */
#ifndef KAN_VMX_INSN_H
#define KAN_VMX_INSN_H

#include <stdint.h>

enum vmx_status {
	VMX_OK = 0,
	VMX_FAIL_INVALID = 1, /* CF=1: no current VMCS, or a bad pointer */
	VMX_FAIL_VALID = 2,   /* ZF=1: the reason is in VM_INSTRUCTION_ERROR */
};

/* Turns CF/ZF after a VMX instruction into a status. */
#define VMX_STATUS_ASM "setc %b[cf]\n\tsetz %b[zf]\n\t"

static inline enum vmx_status vmx_status(uint8_t cf, uint8_t zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

static inline enum vmx_status vmxon(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxon %[p]\n\t" VMX_STATUS_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)
			 : [p] "m"(phys)
			 : "cc", "memory");
	return vmx_status(cf, zf);
}

static inline enum vmx_status vmxoff(void)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxoff\n\t" VMX_STATUS_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)::"cc", "memory");
	return vmx_status(cf, zf);
}

static inline enum vmx_status vmclear(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmclear %[p]\n\t" VMX_STATUS_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)
			 : [p] "m"(phys)
			 : "cc", "memory");
	return vmx_status(cf, zf);
}

static inline enum vmx_status vmptrld(uint64_t phys)
{
	uint8_t cf, zf;
	__asm__ volatile("vmptrld %[p]\n\t" VMX_STATUS_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)
			 : [p] "m"(phys)
			 : "cc", "memory");
	return vmx_status(cf, zf);
}

/* VMREAD and VMWRITE sit on the exit path: they branch on failure instead of computing
 * a status, so success costs the instruction and two untaken jumps. */
static inline __attribute__((always_inline)) enum vmx_status vmread_raw(uint64_t field,
									uint64_t *value)
{
	uint64_t v;
	__asm__ goto("vmread %[f], %[v]\n\t"
		     "jc %l[invalid]\n\t"
		     "jz %l[valid]"
		     /* cppcheck-suppress legacyUninitvar ; an output of asm goto, set by VMREAD */
		     : [v] "=r"(v)
		     : [f] "r"(field)
		     : "cc"
		     : invalid, valid);
	*value = v;
	return VMX_OK;
invalid:
	return VMX_FAIL_INVALID;
valid:
	return VMX_FAIL_VALID;
}

static inline __attribute__((always_inline)) enum vmx_status vmwrite_raw(uint64_t field,
									 uint64_t value)
{
	__asm__ goto("vmwrite %[v], %[f]\n\t"
		     "jc %l[invalid]\n\t"
		     "jz %l[valid]"
		     :
		     : [f] "r"(field), [v] "rm"(value)
		     : "cc"
		     : invalid, valid);
	return VMX_OK;
invalid:
	return VMX_FAIL_INVALID;
valid:
	return VMX_FAIL_VALID;
}

struct invept_descriptor {
	uint64_t eptp;
	uint64_t reserved;
};

#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXTS   2

static inline enum vmx_status invept(uint64_t type, uint64_t eptp)
{
	struct invept_descriptor d = { eptp, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invept %[d], %[t]\n\t" VMX_STATUS_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)
			 : [d] "m"(d), [t] "r"(type)
			 : "cc", "memory");
	return vmx_status(cf, zf);
}

struct invvpid_descriptor {
	uint64_t vpid; /* bits 15:0; the rest must be zero */
	uint64_t linear_address;
};

#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXTS   2

static inline enum vmx_status invvpid(uint64_t type, uint16_t vpid)
{
	struct invvpid_descriptor d = { vpid, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invvpid %[d], %[t]\n\t" VMX_STATUS_ASM
			 : [cf] "=q"(cf), [zf] "=q"(zf)
			 : [d] "m"(d), [t] "r"(type)
			 : "cc", "memory");
	return vmx_status(cf, zf);
}

#endif
