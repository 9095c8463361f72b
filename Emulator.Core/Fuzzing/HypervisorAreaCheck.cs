using Emulator.Core.Hypervisor;

namespace Emulator.Core.Fuzzing;

/// <summary>
/// Checks that nothing a guest does changes the hypervisor's own structures in machine memory: the
/// zero frame, the reserved GDT page and the L1 that maps the GDT, the L1s that map the M2P table,
/// and the M2P entries of every frame the domain does not own (those stay invalid). The M2P entries
/// of the domain's own frames, shared_info's included, are the guest's to change (MMU_MACHPHYS_UPDATE)
/// and are not compared.
/// </summary>
public sealed class HypervisorAreaCheck
{
    private readonly XenHypervisor _hv;
    private readonly uint[] _frames;
    private readonly byte[] _expected;
    private readonly byte[] _now;

    public HypervisorAreaCheck(XenHypervisor hv)
    {
        _hv = hv;
        var l = hv.Layout;
        var frames = new List<uint> { XenMachineLayout.ZeroFrame, XenMachineLayout.GdtFrame, XenMachineLayout.GdtL1Frame };
        for (uint k = 0; k < l.M2pL1Frames; k++) frames.Add(XenMachineLayout.FirstM2pL1Frame + k);
        _frames = frames.ToArray();
        _expected = new byte[_frames.Length * 4096];
        _now = new byte[_expected.Length];
        Read(_expected);
    }

    private void Read(byte[] into)
    {
        for (int i = 0; i < _frames.Length; i++) _hv.Memory.ReadBytes(_frames[i] << 12, into.AsSpan(i * 4096, 4096));
    }

    /// <summary>Adds a violation for each hypervisor frame or foreign M2P entry that changed.</summary>
    public void Check(List<PvMmuViolation> into)
    {
        Read(_now);
        for (int i = 0; i < _frames.Length; i++)
            if (!_now.AsSpan(i * 4096, 4096).SequenceEqual(_expected.AsSpan(i * 4096, 4096)))
                into.Add(new PvMmuViolation(_frames[i], "a frame of the hypervisor's changed"));
        var l = _hv.Layout;
        for (uint mfn = 0; mfn < l.FirstDomainFrame; mfn++)
            if (mfn != XenMachineLayout.SharedInfoFrame && _hv.Memory.Read32(l.M2pEntryAddress(mfn)) != 0xFFFFFFFF)
            {
                into.Add(new PvMmuViolation(mfn, "the M2P entry of a frame the domain does not own changed"));
                break;
            }
    }
}
