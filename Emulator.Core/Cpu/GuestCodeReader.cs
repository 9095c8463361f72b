using Iced.Intel;

namespace Emulator.Core.Cpu;

/// <summary>
/// Feeds Iced's decoder with code bytes read through the MMU. Iced reads exactly the bytes of
/// one instruction, so a translation failure here is the instruction's own fetch fault: the
/// translation raises it (CR2 and error code) and the stream ends.
/// </summary>
internal sealed class GuestCodeReader : CodeReader
{
    private readonly Cpu _cpu;
    private uint _linear;
    private uint _pagePhys;
    private uint _pageLinear;
    private bool _pageValid;

    public bool FaultPending { get; private set; }
    /// <summary>How many distinct pages the current instruction touched.</summary>
    public int Pages { get; private set; }

    public GuestCodeReader(Cpu cpu) => _cpu = cpu;

    public void Start(uint linear)
    {
        _linear = linear;
        _pageValid = false;
        FaultPending = false;
        Pages = 0;
    }

    public override int ReadByte()
    {
        if (FaultPending) return -1;
        uint lin = _linear;
        if (!_pageValid || (lin & ~0xFFFu) != _pageLinear)
        {
            if (!_cpu.TranslateFetch(lin, out uint phys))
            {
                FaultPending = true;
                return -1;
            }
            _pageLinear = lin & ~0xFFFu;
            _pagePhys = phys & ~0xFFFu;
            _pageValid = true;
            Pages++;
        }
        _linear = lin + 1;
        return _cpu.Memory.ReadCode8(_pagePhys | (lin & 0xFFF));
    }
}
