// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - CPUID: what vtx supports, the per-vCPU table, and the CPUID exit.
 *
 * The supported set is the host's CPUID with every feature vtx does not
 * virtualize removed (VMX, MONITOR, PMU, PKU, ...).  A vCPU answers CPUID
 * from the table userspace gave with KVM_SET_CPUID2 and nothing else; like
 * KVM, a vCPU without a table answers zeros, and a leaf above the maximum
 * basic or extended leaf answers the maximum basic leaf (Intel behaviour).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/processor.h>
#include "x86/x86.h"

/* KVM's limit on the entries of one CPUID table. */
#define VTX_MAX_CPUID_ENTRIES	256
#define CPUID_BASIC_MAX_LEAF	0x1f
#define CPUID_EXT_BASE		0x80000000u
#define CPUID_EXT_MAX_LEAF	0x80000008u
/* Leaf 80000008H: address sizes; EAX[7:0] is MAXPHYADDR */
#define CPUID_ADDR_SIZES	0x80000008u
#define CPUID_PHYS_BITS		GENMASK(7, 0)
/* MAXPHYADDR without leaf 80000008H (SDM vol. 3, 4.1.4; KVM's default) */
#define VTX_MAXPHYADDR_DEFAULT	36
/* The widest the page-table formats have room for */
#define VTX_MAXPHYADDR_MAX	52
#define CPUID_CENTAUR_BASE	0xc0000000u
#define CPUID_SUBLEAF_MAX	64
#define CPUID7_ECX_CET_SS	BIT(7)
#define CPUID_TOPO_LEVEL_TYPE	GENMASK(15, 8)
#define CPUID_CACHE_TYPE	GENMASK(4, 0)
/* Leaf 0DH, subleaf i >= 2, ECX: 64-byte aligned when compacted; XFD */
#define CPUID_XSTATE_ALIGN64	BIT(1)
#define CPUID_XSTATE_XFD	BIT(2)

/*
 * The XCR0 features vtx lets a guest enable, when the host has them: x87,
 * SSE, AVX and AVX-512, whose registers the kernel's FPU switch moves with
 * the guest's fpstate.  Not PKRU (vtx does not switch it: it is the host
 * thread's protection-key register), not AMX (no XFD, no room in the
 * guest's fpstate), not MPX (hidden in leaf 7).
 */
#define VTX_XCR0_FEATURES	(XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM | \
				 XFEATURE_MASK_AVX512)

/**
 * vtx_supported_xcr0() - the XCR0 bits vtx offers on this host.
 *
 * Return: VTX_XCR0_FEATURES within the host's XCR0 (the kernel's, the same
 * on every CPU), 0 without XSAVE.
 */
u64 vtx_supported_xcr0(void)
{
	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		return 0;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK) & VTX_XCR0_FEATURES;
}

/**
 * vtx_xstate_size() - bytes of an XSAVE area holding @xfeatures.
 * @xfeatures:	XCR0 bits (x87 and SSE are always counted)
 * @compacted:	the compacted format of XSAVEC, else the standard one
 *
 * The legacy area and header plus the host's offsets and sizes (CPUID leaf
 * 0DH subleaf i) of each extended feature; @xfeatures must be a subset of
 * the host's XCR0.
 *
 * Return: the size.
 */
u32 vtx_xstate_size(u64 xfeatures, bool compacted)
{
	u32 size = XSAVE_HDR_OFFSET + XSAVE_HDR_SIZE;
	u32 eax, ebx, ecx, edx, off;
	unsigned long i;
	u64 ext = xfeatures & ~XFEATURE_MASK_FPSSE;

	for_each_set_bit(i, (unsigned long *)&ext, BITS_PER_TYPE(ext)) {
		cpuid_count(XSTATE_CPUID, i, &eax, &ebx, &ecx, &edx);
		if (compacted)
			off = ecx & CPUID_XSTATE_ALIGN64 ? ALIGN(size, 64) : size;
		else
			off = ebx;
		size = max(size, off + eax);
	}
	return size;
}

/* Leaves whose output depends on ECX. */
static bool leaf_indexed(u32 leaf)
{
	switch (leaf) {
	case 4: case 7: case 0xb: case 0xd: case 0xf: case 0x10: case 0x12:
	case 0x14: case 0x17: case 0x18: case 0x1d: case 0x1e: case 0x1f:
	case 0x8000001d:
		return true;
	}
	return false;
}

/*
 * Remove from a host CPUID leaf what vtx does not virtualize.  Feature
 * words the host kernel keeps (leaves 1, 7.0 and 80000001H) also lose what
 * the kernel turned off for itself (errata, "fast strings" disabled by the
 * firmware, command-line options), as KVM's supported CPUID does.
 */
static void filter_leaf(struct kvm_cpuid_entry2 *e)
{
	const u32 *caps = boot_cpu_data.x86_capability;
	u64 xcr0;

	switch (e->function) {
	case 1:
		e->ecx &= caps[CPUID_1_ECX];
		e->edx &= caps[CPUID_1_EDX];
		e->ecx &= ~(BIT(X86_FEATURE_VMX & 31) | BIT(X86_FEATURE_SMX & 31) |
			    BIT(X86_FEATURE_MWAIT & 31) |
			    BIT(X86_FEATURE_PDCM & 31) |
			    BIT(X86_FEATURE_DTES64 & 31) |
			    BIT(X86_FEATURE_DSCPL & 31) |
			    BIT(X86_FEATURE_EST & 31) |
			    BIT(X86_FEATURE_TM2 & 31) |
			    BIT(X86_FEATURE_XTPR & 31) |
			    BIT(X86_FEATURE_TSC_DEADLINE_TIMER & 31) |
			    BIT(X86_FEATURE_OSXSAVE & 31));
		/*
		 * The x2APIC is emulated whatever the host has, as KVM
		 * reports it (it needs an in-kernel irqchip to be used).
		 */
		e->ecx |= BIT(X86_FEATURE_HYPERVISOR & 31) |
			  BIT(X86_FEATURE_X2APIC & 31);
		/*
		 * MCE/MCA stay: vtx has the machine-check MSRs (msr.c).  HTT
		 * describes the VMM's topology, not the host's.
		 */
		e->edx &= ~(BIT(X86_FEATURE_DS & 31) | BIT(X86_FEATURE_ACPI & 31) |
			    BIT(X86_FEATURE_ACC & 31) | BIT(X86_FEATURE_PBE & 31) |
			    BIT(X86_FEATURE_HT & 31));
		/* APIC id and logical count are the VMM's to fill in. */
		e->ebx &= 0x0000ffff;
		break;
	case 5: case 6: case 0xa: case 0xf: case 0x10: case 0x12: case 0x14:
	case 0x1b: case 0x1c:
		/* MONITOR, power, PMU, RDT, SGX, PT: not virtualized. */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		break;
	case VTX_CPUID_LEAF_EXT_FEATURES:
		if (e->index == 0) {
			e->ebx &= caps[CPUID_7_0_EBX];
			e->ecx &= caps[CPUID_7_ECX];
			if (!vtx_x86_caps.invpcid)
				e->ebx &= ~BIT(X86_FEATURE_INVPCID & 31);
			/* IA32_TSC_ADJUST is emulated (msr.c), as in KVM. */
			e->ebx |= BIT(X86_FEATURE_TSC_ADJUST & 31);
			e->ebx &= ~(BIT(X86_FEATURE_SGX & 31) |
				    BIT(X86_FEATURE_INTEL_PT & 31) |
				    BIT(X86_FEATURE_MPX & 31) |
				    BIT(X86_FEATURE_RDT_A & 31) |
				    BIT(X86_FEATURE_CQM & 31));
			e->ecx &= ~(BIT(X86_FEATURE_PKU & 31) |
				    BIT(X86_FEATURE_OSPKE & 31) |
				    BIT(X86_FEATURE_LA57 & 31) |
				    BIT(X86_FEATURE_WAITPKG & 31) |
				    CPUID7_ECX_CET_SS);
			if (!vtx_x86_caps.rdtscp)
				e->ecx &= ~BIT(X86_FEATURE_RDPID & 31);
			if (vtx_x86_caps.umip_emulated)
				e->ecx |= BIT(X86_FEATURE_UMIP & 31);
		}
		/*
		 * SPEC_CTRL, FLUSH_L1D, ...: MSRs vtx lacks.  ARCH_CAPABILITIES
		 * is emulated (msr.c), as in KVM.
		 */
		e->edx = e->index ? 0 : BIT(X86_FEATURE_ARCH_CAPABILITIES & 31);
		break;
	case XSTATE_CPUID:
		xcr0 = vtx_supported_xcr0();
		if (e->index == 0) {
			/* User states: only what vtx offers, sizes to match. */
			e->eax &= lower_32_bits(xcr0);
			e->edx &= upper_32_bits(xcr0);
			e->ebx = vtx_xstate_size(xcr0, false);
			e->ecx = e->ebx;
		} else if (e->index == 1) {
			/*
			 * Supervisor states (XSS) are not offered: XSAVES
			 * (with VMX's control, vmx/vmcs.c), IA32_XSS 0.
			 */
			e->eax &= BIT(X86_FEATURE_XSAVEOPT & 31) |
				  BIT(X86_FEATURE_XSAVEC & 31) |
				  BIT(X86_FEATURE_XGETBV1 & 31) |
				  (vtx_x86_caps.xsaves ?
				   BIT(X86_FEATURE_XSAVES & 31) : 0);
			e->ebx = e->eax & (BIT(X86_FEATURE_XSAVEC & 31) |
					   BIT(X86_FEATURE_XSAVES & 31)) ?
				 vtx_xstate_size(xcr0, true) : 0;
			e->ecx = 0;
			e->edx = 0;
		} else {
			/* A state vtx offers (add_indexed()); no XFD. */
			e->ecx &= ~CPUID_XSTATE_XFD;
			e->edx = 0;
		}
		break;
	case 0x80000001:
		e->ecx &= caps[CPUID_8000_0001_ECX];
		e->edx &= caps[CPUID_8000_0001_EDX];
		if (!vtx_x86_caps.rdtscp)
			e->edx &= ~BIT(X86_FEATURE_RDTSCP & 31);
		break;
	}
}

static int add_leaf(struct kvm_cpuid_entry2 *out, int n, int max, u32 leaf,
		    u32 index, bool indexed)
{
	struct kvm_cpuid_entry2 *e;

	if (n >= max)
		return -E2BIG;
	e = &out[n];
	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = index;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	cpuid_count(leaf, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	filter_leaf(e);
	return n + 1;
}

/* Subleaves of an indexed leaf that exist on this host. */
static int add_indexed(struct kvm_cpuid_entry2 *out, int n, int max, u32 leaf)
{
	u32 i, limit = CPUID_SUBLEAF_MAX, eax, ebx, ecx, edx;

	for (i = 0; i < limit; i++) {
		cpuid_count(leaf, i, &eax, &ebx, &ecx, &edx);
		if (leaf == 4 && !(eax & CPUID_CACHE_TYPE))
			break;
		if ((leaf == 0xb || leaf == 0x1f) &&
		    !(ecx & CPUID_TOPO_LEVEL_TYPE) && i)
			break;
		if (leaf == 7 && i == 0)
			limit = min_t(u32, eax + 1, CPUID_SUBLEAF_MAX);
		/* Leaf 0DH: subleaves of the states vtx offers only. */
		if (leaf == XSTATE_CPUID && i > 1 &&
		    (!eax || !(vtx_supported_xcr0() & BIT_ULL(i))))
			continue;
		if (leaf != 4 && leaf != 7 && leaf != 0xb && leaf != 0xd &&
		    leaf != 0x1f && i > 0)
			break;
		n = add_leaf(out, n, max, leaf, i, true);
		if (n < 0)
			return n;
	}
	return n;
}

/**
 * vtx_supported_cpuid() - fill @out with the CPUID leaves vtx supports.
 * @out:	array of @max entries
 * @max:	its size
 *
 * Return: the number of entries, or -E2BIG when @max is too small.
 */
static int vtx_supported_cpuid(struct kvm_cpuid_entry2 *out, int max)
{
	u32 leaf, top, eax, ebx, ecx, edx;
	int n = 0;

	cpuid(0, &top, &ebx, &ecx, &edx);
	top = min_t(u32, top, CPUID_BASIC_MAX_LEAF);
	for (leaf = 0; leaf <= top && n >= 0; leaf++)
		n = leaf_indexed(leaf) ? add_indexed(out, n, max, leaf) :
					 add_leaf(out, n, max, leaf, 0, false);
	cpuid(CPUID_EXT_BASE, &eax, &ebx, &ecx, &edx);
	top = min_t(u32, eax, CPUID_EXT_MAX_LEAF);
	for (leaf = CPUID_EXT_BASE; leaf <= top && n >= 0; leaf++)
		n = add_leaf(out, n, max, leaf, 0, false);
	/* KVM's signature and PV features (x86/pv.c), last as in KVM */
	return vtx_pv_supported_cpuid(out, n, max);
}

/* KVM_GET_SUPPORTED_CPUID on the system fd. */
long vtx_ioctl_get_supported_cpuid(struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 *entries;
	struct kvm_cpuid2 hdr;
	int n;
	long r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;
	hdr.nent = min_t(u32, hdr.nent, VTX_MAX_CPUID_ENTRIES);
	entries = kcalloc(hdr.nent, sizeof(*entries), GFP_KERNEL);
	if (!entries)
		return -ENOMEM;
	n = vtx_supported_cpuid(entries, hdr.nent);
	r = n;
	if (n >= 0) {
		hdr.nent = n;
		r = -EFAULT;
		if (!copy_to_user(argp->entries, entries, n * sizeof(*entries)) &&
		    !copy_to_user(argp, &hdr, sizeof(hdr)))
			r = 0;
	}
	kfree(entries);
	return r;
}

static struct kvm_cpuid_entry2 *find_entry(struct vtx_vcpu *vcpu, u32 leaf,
					   u32 index);
static void runtime_regs(struct vtx_vcpu *vcpu,
			 const struct kvm_cpuid_entry2 *e, u32 index,
			 u32 *regs);

/*
 * Two tables are the same as the guest sees them: the same leaves, and
 * the same registers once the run-time bits (runtime_regs()) are applied
 * to both, as KVM compares a table set after KVM_RUN with its own.
 */
static bool same_table(struct vtx_vcpu *vcpu,
		       const struct kvm_cpuid_entry2 *a, u32 nent)
{
	const struct kvm_cpuid_entry2 *b = vcpu->cpuid;
	u32 i, ra[4], rb[4];

	if (nent != vcpu->cpuid_nent)
		return false;
	for (i = 0; i < nent; i++) {
		if (a[i].function != b[i].function ||
		    a[i].index != b[i].index || a[i].flags != b[i].flags)
			return false;
		runtime_regs(vcpu, &a[i], a[i].index, ra);
		runtime_regs(vcpu, &b[i], b[i].index, rb);
		if (memcmp(ra, rb, sizeof(ra)))
			return false;
	}
	return true;
}

/*
 * KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT off: CPUID.01H:ECX.MONITOR follows
 * IA32_MISC_ENABLE's MWAIT bit in the table, as KVM rewrites it.
 */
static void update_mwait(struct vtx_vcpu *vcpu, struct kvm_cpuid_entry2 *e,
			 u32 nent)
{
	u32 bit = BIT(X86_FEATURE_MWAIT & 31);

	if (vtx_has_quirk(vcpu->vm, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT))
		return;
	for (; nent; nent--, e++) {
		if (e->function != 1)
			continue;
		e->ecx &= ~bit;
		if (vcpu->misc_enable & MSR_IA32_MISC_ENABLE_MWAIT)
			e->ecx |= bit;
		return;
	}
}

/**
 * vtx_cpuid_update_mwait() - IA32_MISC_ENABLE's MWAIT bit changed.
 * @vcpu:	the vCPU
 */
void vtx_cpuid_update_mwait(struct vtx_vcpu *vcpu)
{
	update_mwait(vcpu, vcpu->cpuid, vcpu->cpuid_nent);
}

/* KVM_SET_CPUID2: replace the vCPU's table. */
long vtx_ioctl_set_cpuid2(struct vtx_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 *entries = NULL;
	struct kvm_cpuid2 hdr;
	size_t size;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > VTX_MAX_CPUID_ENTRIES)
		return -E2BIG;
	size = array_size(sizeof(*entries), hdr.nent);
	if (hdr.nent) {
		entries = memdup_user(argp->entries, size);
		if (IS_ERR(entries))
			return PTR_ERR(entries);
		update_mwait(vcpu, entries, hdr.nent);
	}
	/*
	 * Like KVM: once the vCPU ran, only the table the guest sees (as
	 * KVM_GET_CPUID2 gives it) is accepted.
	 */
	if (vcpu->ran && !same_table(vcpu, entries, hdr.nent)) {
		kfree(entries);
		return -EINVAL;
	}
	if (vcpu->cpuid)
		vtx_alloc_dec(VTX_ALLOC_CPUID);
	if (entries)
		vtx_alloc_inc(VTX_ALLOC_CPUID);
	kfree(vcpu->cpuid);
	vcpu->cpuid = entries;
	vcpu->cpuid_nent = hdr.nent;
	vtx_cpuid_update_maxphyaddr(vcpu);
	vtx_x86_ops.update_cpuid(vcpu);
	vtx_apic_update_cpuid(vcpu);
	vtx_pv_update_cpuid(vcpu);
	return 0;
}

/*
 * KVM_GET_CPUID2: the table as the guest sees it now (OSXSAVE, APIC and
 * leaf 0DH's EBX as runtime_regs() gives them, as KVM keeps its table);
 * E2BIG when the caller's array is too small.
 */
long vtx_ioctl_get_cpuid2(struct vtx_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 e;
	struct kvm_cpuid2 hdr;
	u32 i, regs[4];

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->cpuid_nent)
		return -E2BIG;
	hdr.nent = vcpu->cpuid_nent;
	for (i = 0; i < hdr.nent; i++) {
		e = vcpu->cpuid[i];
		runtime_regs(vcpu, &e, e.index, regs);
		e.eax = regs[0];
		e.ebx = regs[1];
		e.ecx = regs[2];
		e.edx = regs[3];
		if (copy_to_user(&argp->entries[i], &e, sizeof(e)))
			return -EFAULT;
	}
	if (copy_to_user(argp, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}

static struct kvm_cpuid_entry2 *find_entry(struct vtx_vcpu *vcpu, u32 leaf,
					   u32 index)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function == leaf &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

/**
 * vtx_cpuid_find() - the vCPU's entry for a leaf and subleaf, as stored.
 * @vcpu:	the vCPU
 * @leaf:	EAX
 * @index:	ECX (compared only where the entry says it is significant)
 *
 * Return: the entry, or NULL.
 */
struct kvm_cpuid_entry2 *vtx_cpuid_find(struct vtx_vcpu *vcpu, u32 leaf,
					u32 index)
{
	return find_entry(vcpu, leaf, index);
}

/*
 * A leaf above the maximum of its class (basic, hypervisor, extended,
 * Centaur)
 * reads as the maximum basic leaf, as on Intel processors.
 */
static struct kvm_cpuid_entry2 *out_of_range(struct vtx_vcpu *vcpu, u32 leaf,
					     u32 index)
{
	struct kvm_cpuid_entry2 *basic = find_entry(vcpu, 0, 0), *class;

	if (!basic)
		return NULL;
	if (leaf >= 0x40000000 && leaf <= 0x4fffffff)
		class = find_entry(vcpu, leaf & 0xffffff00, 0);
	else if (leaf >= CPUID_CENTAUR_BASE)
		class = find_entry(vcpu, CPUID_CENTAUR_BASE, 0);
	else
		class = find_entry(vcpu, leaf & CPUID_EXT_BASE, 0);
	if (class && leaf <= class->eax)
		return NULL;
	return find_entry(vcpu, basic->eax, index);
}

/*
 * Which CPUID leaf, subleaf and register hold a word of X86_FEATURE_*;
 * a word not listed has leaf 0.
 */
static const struct {
	u32 leaf;
	enum cpuid_regs_idx reg;
	u32 index;
} feature_words[] = {
	[CPUID_1_EDX]		= { 1, CPUID_EDX },
	[CPUID_1_ECX]		= { 1, CPUID_ECX },
	[CPUID_7_0_EBX]		= { VTX_CPUID_LEAF_EXT_FEATURES, CPUID_EBX },
	[CPUID_7_ECX]		= { VTX_CPUID_LEAF_EXT_FEATURES, CPUID_ECX },
	[CPUID_7_EDX]		= { VTX_CPUID_LEAF_EXT_FEATURES, CPUID_EDX },
	[CPUID_8000_0001_EDX]	= { CPUID_EXT_BASE + 1, CPUID_EDX },
	[CPUID_8000_0001_ECX]	= { CPUID_EXT_BASE + 1, CPUID_ECX },
	[CPUID_D_1_EAX]		= { XSTATE_CPUID, CPUID_EAX, 1 },
};

/**
 * vtx_guest_cpuid_has() - the vCPU's CPUID table offers a feature.
 * @vcpu:	the vCPU
 * @feature:	X86_FEATURE_* of a word listed in feature_words[]; any other
 *		word reads as not offered
 */
bool vtx_guest_cpuid_has(struct vtx_vcpu *vcpu, unsigned int feature)
{
	unsigned int word = feature / 32;
	struct kvm_cpuid_entry2 *e;
	u32 reg;

	if (word >= ARRAY_SIZE(feature_words) || !feature_words[word].leaf)
		return false;
	e = find_entry(vcpu, feature_words[word].leaf,
		       feature_words[word].index);
	if (!e)
		return false;
	switch (feature_words[word].reg) {
	case CPUID_EAX:
		reg = e->eax;
		break;
	case CPUID_EBX:
		reg = e->ebx;
		break;
	case CPUID_ECX:
		reg = e->ecx;
		break;
	default:
		reg = e->edx;
		break;
	}
	return reg & BIT(feature & 31);
}

/**
 * vtx_cpuid_lookup() - the CPUID result the vCPU's table gives.
 * @vcpu:	the vCPU
 * @leaf:	EAX
 * @index:	ECX
 * @regs:	eax, ebx, ecx, edx out
 */
void vtx_cpuid_lookup(struct vtx_vcpu *vcpu, u32 leaf, u32 index, u32 *regs)
{
	struct kvm_cpuid_entry2 *e = find_entry(vcpu, leaf, index);
	bool redirected = false;

	if (!e) {
		e = out_of_range(vcpu, leaf, index);
		redirected = e;
	}
	if (!e) {
		memset(regs, 0, 4 * sizeof(*regs));
		/* Topology leaves keep CL and the x2APIC id in any subleaf. */
		if (leaf == 0xb || leaf == 0x1f) {
			e = find_entry(vcpu, leaf, 1);
			if (e) {
				regs[2] = index & 0xff;
				regs[3] = e->edx;
			}
		}
		return;
	}
	if (redirected) {
		regs[0] = e->eax;
		regs[1] = e->ebx;
		regs[2] = e->ecx;
		regs[3] = e->edx;
		return;
	}
	runtime_regs(vcpu, e, index, regs);
}

/*
 * The registers of entry @e as the guest reads them for subleaf @index:
 * the stored values with the bits KVM rewrites at run time
 * (kvm_update_cpuid_runtime()) taken from the vCPU's state now.
 */
static void runtime_regs(struct vtx_vcpu *vcpu,
			 const struct kvm_cpuid_entry2 *e, u32 index,
			 u32 *regs)
{
	regs[0] = e->eax;
	regs[1] = e->ebx;
	regs[2] = e->ecx;
	regs[3] = e->edx;
	/* OSXSAVE follows the guest's CR4, as the processor's does. */
	if (e->function == 1) {
		regs[2] &= ~BIT(X86_FEATURE_OSXSAVE & 31);
		if (vcpu->cr4 & X86_CR4_OSXSAVE)
			regs[2] |= BIT(X86_FEATURE_OSXSAVE & 31);
		/*
		 * With an in-kernel APIC, the APIC bit follows
		 * IA32_APIC_BASE.EN, as KVM shows it.
		 */
		if (vcpu->apic &&
		    !(vcpu->apic_base & MSR_IA32_APICBASE_ENABLE))
			regs[3] &= ~BIT(X86_FEATURE_APIC & 31);
	}
	/*
	 * Leaf 0DH's EBX: the XSAVE area for the guest's current XCR0 (a
	 * subset of the host's), standard and compacted, as the processor's
	 * and KVM's.
	 */
	if (e->function == XSTATE_CPUID && boot_cpu_has(X86_FEATURE_XSAVE)) {
		if (index == 0)
			regs[1] = vtx_xstate_size(vcpu->xcr0, false);
		else if (index == 1 && (regs[0] & BIT(X86_FEATURE_XSAVEC & 31)))
			regs[1] = vtx_xstate_size(vcpu->xcr0, true);
	}
}

/**
 * vtx_cpuid_update_maxphyaddr() - cache the MAXPHYADDR of the vCPU's table.
 * @vcpu:	the vCPU, its table just set (or none yet)
 *
 * Leaf 80000008H EAX[7:0] when the table's maximum extended leaf
 * (80000000H EAX) reaches it, else 36, as KVM's cpuid_maxphyaddr().  A
 * value above 52 is taken as 52: no paging format has wider addresses.  A
 * value above the host's own width is kept (KVM keeps it too); what vtx
 * loads into the processor is checked against both
 * (vtx_rsvd_gpa_bits_hw()).
 */
void vtx_cpuid_update_maxphyaddr(struct vtx_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e = find_entry(vcpu, CPUID_EXT_BASE, 0);
	unsigned int bits = VTX_MAXPHYADDR_DEFAULT;

	if (e && e->eax >= CPUID_ADDR_SIZES) {
		e = find_entry(vcpu, CPUID_ADDR_SIZES, 0);
		if (e)
			bits = min_t(unsigned int, e->eax & CPUID_PHYS_BITS,
				     VTX_MAXPHYADDR_MAX);
	}
	vcpu->maxphyaddr = bits;
}

/**
 * vtx_guest_supported_xcr0() - the XCR0 bits the vCPU's CPUID offers.
 * @vcpu:	the vCPU
 *
 * Leaf 0DH subleaf 0 EDX:EAX of the table KVM_SET_CPUID2 gave, within what
 * vtx offers (KVM's guest_supported_xcr0); 0 without that leaf.
 *
 * Return: the mask.
 */
u64 vtx_guest_supported_xcr0(struct vtx_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *e = find_entry(vcpu, XSTATE_CPUID, 0);

	if (!e)
		return 0;
	return ((u64)e->edx << 32 | e->eax) & vtx_supported_xcr0();
}
