using System.Text.Json.Nodes;
using Emulator.Core.Tracing;
using static Emulator.Core.Hypervisor.XenAbi;

namespace Emulator.Core.Hypervisor;

/// <summary>
/// Turns a completed hypercall into a trace event (DESIGN.md §8): the argument registers decoded per
/// XEN-ABI.md §4-§5 and, where the call takes a structure, the structure read from guest memory
/// (mmu_update requests, mmuext_op commands, the shutdown reason...). Reads happen after the call
/// returned, so OUT fields (a bound port) show their result; an unreadable pointer is shown as such.
/// </summary>
public static class HypercallTraceDecoder
{
    /// <summary>At most this many entries of a request list are written out (the count is always given).</summary>
    public const int MaxListedEntries = 16;

    public static HypercallTraceEvent ToTraceEvent(XenHypervisor hv, HypercallEvent e) =>
        new(e.Tick, e.Number, e.Name, DecodeArgs(hv, e), e.Result, e.Result < 0 ? ErrnoName(-e.Result) : null, e.InMulticall);

    public static string ErrnoName(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EFAULT => "EFAULT", EBUSY => "EBUSY", EEXIST => "EEXIST",
        EINVAL => "EINVAL", ENOSPC => "ENOSPC", ERANGE => "ERANGE", ENOSYS => "ENOSYS", ETIME => "ETIME", EOPNOTSUPP => "EOPNOTSUPP",
        _ => "E" + errno,
    };

    private static string H32(uint v) => TraceEvent.Hex32(v);
    private static string H64(ulong v) => TraceEvent.Hex64(v);

    public static JsonObject DecodeArgs(XenHypervisor hv, HypercallEvent e)
    {
        var o = new JsonObject();
        switch ((int)e.Number)
        {
            case MmuUpdate:
                o["reqs"] = H32(e.Arg1);
                AddCount(o, e.Arg2);
                o["foreigndom"] = TraceEvent.Hex16(e.Arg4);
                o["entries"] = List(hv, e.Arg1, e.Arg2 & ~XenHypervisor.MmuUpdatePreempted, 16, (b, a) => new JsonObject
                {
                    ["ptr"] = H64(BitConverter.ToUInt64(b)),
                    ["cmd"] = (BitConverter.ToUInt64(b) & 3) switch { 0 => "normal_pt_update", 1 => "machphys_update", 2 => "pt_update_preserve_ad", _ => "3" },
                    ["val"] = H64(BitConverter.ToUInt64(b[8..])),
                });
                break;
            case MmuextOp:
                o["ops"] = H32(e.Arg1);
                AddCount(o, e.Arg2);
                o["foreigndom"] = TraceEvent.Hex16(e.Arg4);
                o["entries"] = List(hv, e.Arg1, e.Arg2 & ~XenHypervisor.MmuUpdatePreempted, 12, (b, a) => new JsonObject
                {
                    ["cmd"] = MmuextName(BitConverter.ToUInt32(b)),
                    ["arg1"] = H32(BitConverter.ToUInt32(b[4..])),
                    ["arg2"] = H32(BitConverter.ToUInt32(b[8..])),
                });
                break;
            case UpdateVaMapping:
                o["va"] = H32(e.Arg1);
                o["pte"] = H64(((ulong)e.Arg3 << 32) | e.Arg2);
                o["flags"] = (e.Arg4 & 3) switch { 0 => "none", 1 => "tlb_flush", 2 => "invlpg", _ => "3" } + ((e.Arg4 & ~3u) != 0 ? $"|{H32(e.Arg4 & ~3u)}" : "");
                break;
            case SetTrapTable:
                o["table"] = H32(e.Arg1);
                o["entries"] = e.Arg1 == 0 ? 0 : CountTrapEntries(hv, e.Arg1);
                break;
            case StackSwitch:
                o["ss"] = TraceEvent.Hex16(e.Arg1 & 0xFFFF);
                o["esp"] = H32(e.Arg2);
                break;
            case SetCallbacks:
                o["event"] = $"{TraceEvent.Hex16(e.Arg1 & 0xFFFF)}:{H32(e.Arg2)}";
                o["failsafe"] = $"{TraceEvent.Hex16(e.Arg3 & 0xFFFF)}:{H32(e.Arg4)}";
                break;
            case CallbackOp:
                o["cmd"] = e.Arg1 switch { 0 => "register", 1 => "unregister", _ => e.Arg1.ToString() };
                if (Read(hv, e.Arg2, 12) is { } cb)
                {
                    o["cb_type"] = BitConverter.ToUInt16(cb) switch { 0 => "event", 1 => "failsafe", 2 => "syscall", 4 => "nmi", var other => other.ToString() };
                    if (e.Arg1 == 0) o["address"] = $"{TraceEvent.Hex16(BitConverter.ToUInt32(cb[4..]) & 0xFFFF)}:{H32(BitConverter.ToUInt32(cb[8..]))}";
                }
                else o["arg"] = Unreadable(e.Arg2);
                break;
            case SetTimerOp:
                o["timeout_ns"] = ((ulong)e.Arg2 << 32) | e.Arg1;
                break;
            case XenVersion:
                o["cmd"] = e.Arg1 switch
                {
                    0 => "version", 1 => "extraversion", 2 => "compile_info", 3 => "capabilities", 4 => "changeset",
                    5 => "platform_parameters", 6 => "get_features", 7 => "pagesize", 8 => "guest_handle", 9 => "commandline",
                    10 => "build_id", _ => e.Arg1.ToString(),
                };
                break;
            case ConsoleIo:
                o["cmd"] = e.Arg1 switch { 0 => "write", 1 => "read", _ => e.Arg1.ToString() };
                o["count"] = e.Arg2;
                o["buf"] = H32(e.Arg3);
                break;
            case SchedOp:
                o["cmd"] = e.Arg1 switch { 0 => "yield", 1 => "block", 2 => "shutdown", 3 => "poll", _ => e.Arg1.ToString() };
                if (e.Arg1 == 2)
                    o["reason"] = hv.ReadGuest32(e.Arg2, out uint reason)
                        ? reason switch { 0 => "poweroff", 1 => "reboot", 2 => "suspend", 3 => "crash", 4 => "watchdog", 5 => "soft_reset", _ => reason.ToString() }
                        : Unreadable(e.Arg2);
                break;
            case EventChannelOp:
                DecodeEventChannelOp(hv, e, o);
                break;
            case VcpuOp:
                o["cmd"] = e.Arg1 switch { 3 => "is_up", 8 => "set_singleshot_timer", 9 => "stop_singleshot_timer", _ => e.Arg1.ToString() };
                o["vcpu"] = e.Arg2;
                if (e.Arg1 == 8 && Read(hv, e.Arg3, 8) is { } timer) o["timeout_ns"] = BitConverter.ToUInt64(timer);
                break;
            case MemoryOp:
                o["cmd"] = e.Arg1 switch
                {
                    2 => "maximum_ram_page", 3 => "current_reservation", 4 => "maximum_reservation", 9 => "memory_map",
                    12 => "machphys_mapping", _ => e.Arg1.ToString(),
                };
                o["arg"] = H32(e.Arg2);
                break;
            case VmAssist:
                o["cmd"] = e.Arg1 switch { 0 => "enable", 1 => "disable", _ => e.Arg1.ToString() };
                o["assist"] = e.Arg2;
                break;
            case Multicall:
                o["list"] = H32(e.Arg1);
                o["nr"] = e.Arg2;
                break;
            case Iret:
                break;
            default:
                o["ebx"] = H32(e.Arg1); o["ecx"] = H32(e.Arg2); o["edx"] = H32(e.Arg3); o["esi"] = H32(e.Arg4); o["edi"] = H32(e.Arg5);
                break;
        }
        return o;
    }

    private static void DecodeEventChannelOp(XenHypervisor hv, HypercallEvent e, JsonObject o)
    {
        string[] names = { "bind_interdomain", "bind_virq", "bind_pirq", "close", "send", "status", "alloc_unbound", "bind_ipi",
            "bind_vcpu", "unmask", "reset" };
        o["cmd"] = e.Arg1 < names.Length ? names[e.Arg1] : e.Arg1.ToString();
        var b = Read(hv, e.Arg2, 12);
        if (b == null) { o["arg"] = Unreadable(e.Arg2); return; }
        uint w0 = BitConverter.ToUInt32(b), w1 = BitConverter.ToUInt32(b[4..]), w2 = BitConverter.ToUInt32(b[8..]);
        switch (e.Arg1)
        {
            case 1: o["virq"] = w0; o["vcpu"] = w1; o["port"] = w2; break;
            case 3: case 4: case 9: o["port"] = w0; break;
            case 6: o["dom"] = TraceEvent.Hex16(w0 & 0xFFFF); o["remote_dom"] = TraceEvent.Hex16(w0 >> 16); o["port"] = w1; break;
            case 7: o["vcpu"] = w0; o["port"] = w1; break;
            default: o["arg"] = H32(e.Arg2); break;
        }
    }

    private static string MmuextName(uint cmd) => cmd switch
    {
        0 => "pin_l1_table", 1 => "pin_l2_table", 2 => "pin_l3_table", 3 => "pin_l4_table", 4 => "unpin_table",
        5 => "new_baseptr", 6 => "tlb_flush_local", 7 => "invlpg_local", 8 => "tlb_flush_multi", 9 => "invlpg_multi",
        10 => "tlb_flush_all", 11 => "invlpg_all", 12 => "flush_cache", 13 => "set_ldt", 14 => "new_user_baseptr",
        _ => cmd.ToString(),
    };

    /// <summary>The count of an mmu_update / mmuext_op, and "continued" when it is the re-entry of a preempted call.</summary>
    private static void AddCount(JsonObject o, uint count)
    {
        o["count"] = count & ~XenHypervisor.MmuUpdatePreempted;
        if ((count & XenHypervisor.MmuUpdatePreempted) != 0) o["continued"] = true;
    }

    private static JsonNode List(XenHypervisor hv, uint va, uint count, uint size, Func<byte[], uint, JsonObject> entry)
    {
        var list = new JsonArray();
        uint shown = Math.Min(count, MaxListedEntries);
        for (uint k = 0; k < shown; k++)
        {
            var b = Read(hv, va + k * size, (int)size);
            if (b == null) { list.Add(Unreadable(va + k * size)); break; }
            list.Add(entry(b, va + k * size));
        }
        if (count > shown) list.Add($"... {count - shown} more");
        return list;
    }

    private static int CountTrapEntries(XenHypervisor hv, uint table)
    {
        for (int n = 0; n < 1024; n++)
            if (!hv.ReadGuest32(table + (uint)n * 8 + 4, out uint address) || address == 0) return n;
        return 1024;
    }

    private static byte[]? Read(XenHypervisor hv, uint va, int size)
    {
        var b = new byte[size];
        return hv.ReadGuest(va, b) ? b : null;
    }

    private static string Unreadable(uint va) => $"unreadable at {H32(va)}";
}
