namespace Emulator.Core.Tracing;

/// <summary>
/// How much a trace records (DESIGN.md §8). Each level includes the ones below it.
/// <list type="bullet">
/// <item><b>Boot</b>: the boot, mode changes (CR0.PE/PG/WP..., CR4, EFER), console lines and the end.</item>
/// <item><b>Hypercall</b>: plus exceptions and interrupts, hypercalls with decoded arguments, event upcalls,
/// CR3 loads and page-table updates (validated hypercall updates; native stores into live tables).</item>
/// <item><b>Full</b>: plus every port access.</item>
/// </list>
/// </summary>
public enum TraceLevel
{
    Boot = 0,
    Hypercall = 1,
    Full = 2,
}
