/* SPDX-License-Identifier: GPL-2.0 */
/* What msr_guest.S and msr_test.c agree on */
#ifndef VTX_VCPU_MSR_H
#define VTX_VCPU_MSR_H

/* The guest stores what it read here, u64 each, then ucalls */
#define MSR_OUT_GPA		(SCRATCH_GPA + 0x1000)

/* Segment bases: the host puts a marker (MARKER(base)) at each */
#define FS_VAL			(SCRATCH_GPA + 0x100)
#define GS_VAL			(SCRATCH_GPA + 0x200)
#define KGS_VAL			(SCRATCH_GPA + 0x300)
#define FS_VAL2			(SCRATCH_GPA + 0x400)
#define GS_VAL2			(SCRATCH_GPA + 0x500)
#define KGS_VAL2		(SCRATCH_GPA + 0x600)
#define MARKER(base)		(0x5a5a0000 + (base))

#define SYSENTER_CS_VAL		0xc010
#define SYSENTER_ESP_HI		0xffffffff	/* 0xffffffff80001000 */
#define SYSENTER_ESP_LO		0x80001000
#define SYSENTER_EIP_HI		0x00000000	/* 0x0000000000401234 */
#define SYSENTER_EIP_LO		0x00401234

/* The syscall MSRs the guest writes */
#define STAR_HI			0x00230010	/* STAR = 0x0023001000000000 */
#define STAR_LO			0
#define LSTAR_HI		0xffff8000	/* LSTAR = 0xffff8000deadb000 */
#define LSTAR_LO		0xdeadb000
#define CSTAR_HI		0xffff8000	/* CSTAR = 0xffff8000cafe0000 */
#define CSTAR_LO		0xcafe0000
#define SFMASK_VAL		0x47700

#endif
