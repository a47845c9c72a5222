/* Architectural MSR numbers the test guests poke at (Intel SDM Vol. 4). */
#ifndef KAN_GUEST_MSR_H
#define KAN_GUEST_MSR_H

#define MSR_IA32_TSC	      0x10
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_PAT	      0x277
#define MSR_IA32_EFER	      0xc0000080
#define MSR_IA32_STAR	      0xc0000081
#define MSR_IA32_LSTAR	      0xc0000082
#define MSR_IA32_CSTAR	      0xc0000083
#define MSR_IA32_FMASK	      0xc0000084
#define MSR_IA32_FS_BASE      0xc0000100
#define MSR_IA32_GS_BASE      0xc0000101
#define MSR_IA32_KERNEL_GS    0xc0000102
#define MSR_IA32_TSC_AUX      0xc0000103
#define PAT_POWER_ON	      0x0007040600070406ull

#endif
