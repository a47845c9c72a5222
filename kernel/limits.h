/* Compile-time sizes that several subsystems agree on. */
#ifndef KAN_KERNEL_LIMITS_H
#define KAN_KERNEL_LIMITS_H

#define KAN_MAX_CPUS	    256
#define KAN_MAX_VMS	    65535 /* each VM's id is its VPID, a 16-bit number; 0 is kan's */
#define KAN_VM_NAME_MAX	    24	  /* including the terminating zero */
#define KAN_HOST_STACK_SIZE 16384
#define KAN_VM_VCPUS_MAX    16 /* vcpus= */

#endif
