using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// CPUID (SDM Vol. 2): unprivileged, and it reports exactly what this CPU implements (DESIGN.md §4).
/// Leaves: 0 (max basic leaf 1, "GenuineIntel"), 1 (signature and features), 80000000H (max
/// extended leaf 80000008H), 80000001H (NX), 80000002H-80000004H (brand string), 80000005H-7H
/// (reserved/no data: zeros), 80000008H (32-bit physical and linear addresses: MAXPHYADDR = 32).
/// Leaves 40000000H-4FFFFFFFH (hypervisor range) return zeros, unless a hypervisor (xen profile)
/// answers them. Any other leaf above the maximum returns leaf 1's data, as Intel processors return the
/// highest basic leaf for out-of-range inputs.
/// </summary>
public sealed unsafe partial class Cpu
{
    public const uint CpuidMaxBasicLeaf = 1;
    public const uint CpuidMaxExtendedLeaf = 0x80000008;

    // CPUID.01H:EDX feature bits (SDM Vol. 2 Table 3-11).
    public const uint CpuidPse = 1u << 3, CpuidTsc = 1u << 4, CpuidMsr = 1u << 5, CpuidPae = 1u << 6,
        CpuidCx8 = 1u << 8, CpuidPge = 1u << 13, CpuidCmov = 1u << 15;

    /// <summary>
    /// Reported features: PSE, TSC, MSR, PAE, CX8, PGE, CMOV. Not reported because not implemented:
    /// FPU (no x87), VME, DE, MCE, APIC, SEP, MTRR, MCA, PAT, PSE-36, CLFSH, MMX, FXSR, SSE...
    /// </summary>
    public const uint CpuidFeaturesEdx = CpuidPse | CpuidTsc | CpuidMsr | CpuidPae | CpuidCx8 | CpuidPge | CpuidCmov;

    /// <summary>CPUID.80000001H:EDX bit 20: execute-disable (NX) in PAE paging.</summary>
    public const uint CpuidExtNx = 1u << 20;

    /// <summary>The processor brand string of leaves 80000002H-80000004H (48 bytes, NUL padded).</summary>
    public const string CpuidBrand = "Emulator Virtual CPU";

    private static void Cpuid(Cpu c, ref Instruction i)
    {
        c.CpuidQuery(c.Regs[EAX], out uint a, out uint b, out uint cx, out uint d);
        c.Regs[EAX] = a;
        c.Regs[EBX] = b;
        c.Regs[ECX] = cx;
        c.Regs[EDX] = d;
    }

    /// <summary>The CPUID answer for <paramref name="leaf"/> (ECX sub-leaves are not used by any implemented leaf).</summary>
    public void CpuidQuery(uint leaf, out uint eax, out uint ebx, out uint ecx, out uint edx)
    {
        eax = ebx = ecx = edx = 0;
        if (leaf >= 0x40000000 && leaf <= 0x4FFFFFFF)
        {
            // Hypervisor leaves: answered by the hypervisor in the xen profile, zeros on bare hardware.
            if (Hypervisor != null && Hypervisor.Cpuid(leaf, out eax, out ebx, out ecx, out edx)) return;
            eax = ebx = ecx = edx = 0;
            return;
        }
        if (leaf >= 0x80000000 && leaf <= CpuidMaxExtendedLeaf)
        {
            switch (leaf)
            {
                case 0x80000000: eax = CpuidMaxExtendedLeaf; return;
                case 0x80000001: edx = CpuidExtNx; return;
                case 0x80000002: case 0x80000003: case 0x80000004:
                    {
                        int off = (int)(leaf - 0x80000002) * 16;
                        eax = BrandDword(off); ebx = BrandDword(off + 4); ecx = BrandDword(off + 8); edx = BrandDword(off + 12);
                        return;
                    }
                case 0x80000008: eax = 32 | (32 << 8); return; // physical and linear address bits
                default: return; // 80000005H-80000007H: reserved or no cache data on Intel
            }
        }
        if (leaf > CpuidMaxBasicLeaf) leaf = CpuidMaxBasicLeaf;
        if (leaf == 0)
        {
            eax = CpuidMaxBasicLeaf;
            ebx = 0x756E6547; // "Genu"
            edx = 0x49656E69; // "ineI"
            ecx = 0x6C65746E; // "ntel"
            return;
        }
        // Leaf 1: EBX (brand index, CLFLUSH size, APIC ID) and ECX (no SSE3 etc.) are zero.
        eax = CpuidSignature;
        edx = CpuidFeaturesEdx;
    }

    private static uint BrandDword(int offset)
    {
        uint v = 0;
        for (int k = 0; k < 4; k++)
        {
            int idx = offset + k;
            uint ch = idx < CpuidBrand.Length ? CpuidBrand[idx] : 0u;
            v |= ch << (8 * k);
        }
        return v;
    }
}
