using Emulator.Core.Hypervisor;
using Emulator.Core.Machine;
using Iced.Intel;
using static Emulator.Tests.Hypervisor.PvGuest;
using static Iced.Intel.AssemblerRegisters;

namespace Emulator.Tests.Hypervisor;

/// <summary>Exception reflection, bounce frames, ring-3 hypercalls, the event upcall and the p2m seed.</summary>
public sealed class TrapAndEventTests
{
    [Fact]
    public void ADirectWriteToAPageTableIsAPageFaultTheGuestSees()
    {
        var g = new PvGuest(a =>
        {
            TrapEntry(a, 0, 14, 0, Handler1);
            a.mov(ebx, Scratch);
            Hcall(a, XenAbi.SetTrapTable); Store(a, 0);
            a.mov(eax, __dword_ptr[esi + 60]);    // pt_base: the L3, mapped read-only
            a.mov(__dword_ptr[Results + 12], eax);
            a.mov(__dword_ptr[eax], 0x12345u);
            Shutdown(a, 3);                        // not reached
        }, handler1: a =>
        {
            a.mov(eax, __dword_ptr[esp]); Store(a, 1);       // error code
            a.mov(eax, __dword_ptr[esp + 8]); Store(a, 2);   // cs | saved mask << 16
            Shutdown(a, 0);
        });
        var exit = g.Run();
        Assert.Equal(0, exit.ExitStatus);
        Assert.Equal(0u, g.Result(0));
        Assert.Equal(3u, g.Result(1));                                  // #PF: present | write, supervisor
        Assert.Equal((1u << 16) | XenAbi.FlatRing1Cs, g.Result(2));     // events were masked at entry
        Assert.Equal(g.Result(3), g.Hv.Memory.Read32(g.Hv.SharedInfo + 8)); // vcpu_info.arch.cr2 = the L3's address
        Assert.Equal(g.Info.PageTablesVa, g.Result(3));
        Assert.Equal(PageType.L3, g.Hv.Mmu.TypeOf(g.Info.L3Mfn));
    }

    [Fact]
    public void Int82FromRing3IsAGeneralProtectionFaultForTheGuest()
    {
        var g = new PvGuest(a =>
        {
            a.mov(edi, esi);
            TrapEntry(a, 0, 13, 0, Handler1);
            a.mov(ebx, Scratch);
            Hcall(a, XenAbi.SetTrapTable); Store(a, 0);
            a.mov(ebx, (uint)XenAbi.FlatRing1Ds); a.mov(ecx, esp);
            Hcall(a, XenAbi.StackSwitch);
            // Map the code page user read-only and the results page user read-write.
            foreach (var (va, flags) in new[] { (PvGuest.Code, 0x25u), (Results, 0x67u) })
            {
                a.mov(eax, __dword_ptr[edi + 68]);
                a.mov(eax, __dword_ptr[eax + (va >> 12) * 4]);
                a.shl(eax, 12);
                a.or(eax, flags);
                a.mov(ecx, eax); a.mov(ebx, va); a.xor(edx, edx); a.mov(esi, 2);
                Hcall(a, XenAbi.UpdateVaMapping);
                Store(a, va == PvGuest.Code ? 1 : 2);
            }
            a.push((uint)XenAbi.FlatRing3Ds);
            a.push(Results + 0x1000);
            a.push(0x202);
            a.push((uint)XenAbi.FlatRing3Cs);
            a.push(Handler2);
            a.iretd();
        }, handler1: a =>
        {
            // The return to ring 3 nulled DS and ES (their DPL is 1): a kernel entry reloads them.
            a.mov(ebx, (uint)XenAbi.FlatRing1Ds);
            a.mov(ds, bx);
            a.mov(es, bx);
            a.mov(eax, __dword_ptr[esp]); Store(a, 3);
            a.mov(eax, __dword_ptr[esp + 8]); Store(a, 4);
            a.mov(eax, __dword_ptr[esp + 20]); Store(a, 5);
            Shutdown(a, 0);
        }, handler2: a =>
        {
            a.mov(eax, 17);                       // ring 3: xen_version through int 0x82
            a.@int(0x82);
            a.hlt();
        });
        var exit = g.Run();
        Assert.True(exit.ExitStatus == 0, exit.Message);
        Assert.Equal(0u, g.Result(0));
        Assert.Equal(0u, g.Result(1));
        Assert.Equal(0u, g.Result(2));
        Assert.Equal(0x82u * 8 + 2, g.Result(3));                          // #GP(vector*8+2), IDT-style
        Assert.Equal((1u << 16) | XenAbi.FlatRing3Cs, g.Result(4));
        Assert.Equal((uint)XenAbi.FlatRing3Ds, g.Result(5));                // ss of the ring-3 frame
        Assert.DoesNotContain(g.Events, e => e.Number == 17);              // no hypercall ran
    }

    [Fact]
    public void ATimerEventWakesABlockedGuestThroughTheUpcall()
    {
        var g = new PvGuest(a =>
        {
            a.mov(ebx, (uint)XenAbi.FlatRing1Cs);
            a.mov(ecx, Handler1);
            a.mov(edx, (uint)XenAbi.FlatRing1Cs);
            a.xor(esi, esi);
            Hcall(a, XenAbi.SetCallbacks);
            a.mov(__dword_ptr[Scratch], 0u);            // VIRQ_TIMER
            a.mov(__dword_ptr[Scratch + 4], 0u);        // vcpu 0
            a.mov(ebx, 1); a.mov(ecx, Scratch);
            Hcall(a, XenAbi.EventChannelOp); Store(a, 0);
            a.mov(eax, __dword_ptr[Scratch + 8]); Store(a, 1); // the port
            a.mov(ebx, 5000); a.xor(ecx, ecx);         // 5 us of system time from boot
            Hcall(a, XenAbi.SetTimerOp);
            a.mov(ebx, 1); a.xor(ecx, ecx);
            Hcall(a, XenAbi.SchedOp);                   // block
            Shutdown(a, 3);                             // the upcall comes first
        }, handler1: a =>
        {
            a.mov(eax, 0xAAu); Store(a, 2);
            a.mov(eax, __dword_ptr[esp + 4]); Store(a, 3); // cs | saved mask (no error code: eip, cs, eflags)
            Shutdown(a, 0);
        });
        var exit = g.Run(10_000_000);
        Assert.Equal(0, exit.ExitStatus);
        Assert.Equal(0u, g.Result(0));
        Assert.Equal(1u, g.Result(1));                 // port 0 is never handed out
        Assert.Equal(0xAAu, g.Result(2));
        Assert.Equal((uint)XenAbi.FlatRing1Cs, g.Result(3)); // block cleared the mask: saved mask 0
        Assert.True(g.Machine.Clock.Now >= 5000 / 10);  // virtual time reached the deadline (10 ns per tick)
        var mem = g.Hv.Memory;
        Assert.Equal(2u, mem.Read32(g.Hv.SharedInfo + 2048) & 2u); // port 1 pending
        Assert.Equal(1, mem.Read8(g.Hv.SharedInfo + 1));           // the upcall masked events
    }

    [Fact]
    public void CpuidShowsTheXenLeavesOnlyInTheXenProfile()
    {
        var g = new PvGuest(a => a.hlt());
        g.Machine.Cpu.CpuidQuery(0x40000000, out uint eax, out uint ebx, out uint ecx, out uint edx);
        Assert.Equal("XenVMMXenVMM", Ascii(ebx) + Ascii(ecx) + Ascii(edx));
        Assert.True(eax >= 0x40000002);
        g.Machine.Cpu.CpuidQuery(0x40000001, out eax, out _, out _, out _);
        Assert.Equal((4u << 16) | 17, eax);
        var pc = new Machine(4 * 1024 * 1024);
        pc.Cpu.CpuidQuery(0x40000000, out eax, out ebx, out ecx, out edx);
        Assert.Equal(0u, eax | ebx | ecx | edx);
    }

    private static string Ascii(uint v) => System.Text.Encoding.ASCII.GetString(BitConverter.GetBytes(v));

    [Fact]
    public void TheP2mSeedDecidesTheMachineFramesButNotTheResult()
    {
        Action<Assembler> code = a =>
        {
            a.mov(__dword_ptr[Scratch], 0x0A6B6Fu);
            a.mov(ebx, 0); a.mov(ecx, 3); a.mov(edx, Scratch);
            Hcall(a, XenAbi.ConsoleIo);
            Shutdown(a, 0);
        };
        var g1 = new PvGuest(code, seed: 1);
        var g1b = new PvGuest(code, seed: 1);
        var g2 = new PvGuest(code, seed: 2);
        Assert.Equal(g1.Hv.P2m, g1b.Hv.P2m);
        Assert.NotEqual(g1.Hv.P2m, g2.Hv.P2m);
        Assert.NotEqual(g1.Hv.P2m[PvGuest.Code >> 12], g2.Hv.P2m[PvGuest.Code >> 12]);
        // Never the identity order, even for two pages; always a permutation of the domain's frames.
        var small = XenHypervisor.BuildP2m(2, 100, 0);
        Assert.Equal(new uint[] { 101, 100 }, small);
        var sorted = (uint[])g2.Hv.P2m.Clone();
        Array.Sort(sorted);
        for (uint i = 0; i < sorted.Length; i++) Assert.Equal(g2.Hv.Layout.FirstDomainFrame + i, sorted[i]);
        Assert.Equal(0, g1.Run().ExitStatus);
        Assert.Equal(0, g2.Run().ExitStatus);
        Assert.Equal("ok\n", g1.ConsoleText);
        Assert.Equal(g1.ConsoleText, g2.ConsoleText);
    }
}
