using Emulator.Devices;

namespace Emulator.Tests.Devices;

/// <summary>Key events through the 8042: set-1 translation, set 2 untranslated, IRQ1, disabling, scanning off.</summary>
public class Kbc8042KeyTests
{
    [Fact]
    public void TranslatedKeyPressAndReleaseAreSet1MakeAndBreak()
    {
        var r = new Kbc8042Tests.Rig();
        Assert.True(r.Kbc.Translating);
        r.Key(0x1E, true); // A
        Assert.Equal(Kbc8042.StatusOutputFull, r.Status & Kbc8042.StatusOutputFull);
        Assert.True(r.Irq.Level(1));
        Assert.Equal(new byte[] { 0x1E }, r.Drain());
        Assert.False(r.Irq.Level(1));
        r.Key(0x1E, false);
        Assert.Equal(new byte[] { 0x9E }, r.Drain());
    }

    [Fact]
    public void ExtendedKeyKeepsItsE0PrefixThroughTranslation()
    {
        var r = new Kbc8042Tests.Rig();
        r.Key(0xE048, true); // cursor up
        r.Key(0xE048, false);
        Assert.Equal(new byte[] { 0xE0, 0x48, 0xE0, 0xC8 }, r.Drain());
    }

    [Fact]
    public void WithoutTranslationTheGuestSeesSet2WithF0Breaks()
    {
        var r = new Kbc8042Tests.Rig();
        r.Command(0x60);
        r.Data(0x05); // interrupt on, system flag, translation off
        Assert.False(r.Kbc.Translating);
        r.Key(0x1E, true);
        r.Key(0x1E, false);
        r.Key(0xE04B, false); // cursor left released
        r.Key(0x41, true);    // F7: set-2 code 0x83
        Assert.Equal(new byte[] { 0x1C, 0xF0, 0x1C, 0xE0, 0xF0, 0x6B, 0x83 }, r.Drain());
    }

    [Fact]
    public void Set2ToSet1TranslationCoversEveryKeyOfTheTable()
    {
        for (byte code = 1; code <= 0x58; code++)
        {
            byte set2 = ScanCodeSet2.FromSet1Code(code, extended: false);
            if (set2 == 0) continue;
            Assert.Equal(code, ScanCodeSet2.ToSet1Code(set2));
        }
        Assert.Equal(0x1F, ScanCodeSet2.FromSet1Code(0x5B, extended: true));
        Assert.Equal(0x5B, ScanCodeSet2.ToSet1Code(0x1F));
    }

    [Fact]
    public void KeyboardSelectedSet1IsPassedThroughUntranslated()
    {
        var r = new Kbc8042Tests.Rig();
        r.Data(0xF0);
        r.Data(0x01);
        Assert.Equal(new byte[] { 0xFA, 0xFA }, r.Drain());
        Assert.Equal(1, r.Kbc.ScanCodeSet);
        r.Key(0x10, true);
        r.Key(0x10, false);
        Assert.Equal(new byte[] { 0x10, 0x90 }, r.Drain());
    }

    [Fact]
    public void EachQueuedByteRaisesIrq1Again()
    {
        var r = new Kbc8042Tests.Rig();
        r.Key(0x2A, true); // left shift
        r.Key(0x1E, true);
        Assert.Equal(1, r.Irq.RisingEdgeCount(1));
        r.ReadData();
        Assert.Equal(2, r.Irq.RisingEdgeCount(1)); // the second byte is a fresh edge
        Assert.True(r.Irq.Level(1));
        Assert.Equal(0x1E, r.ReadData());
        Assert.False(r.Irq.Level(1));
    }

    [Fact]
    public void CommandByteInterruptBitOffGivesNoIrqButTheByteIsThere()
    {
        var r = new Kbc8042Tests.Rig();
        r.Command(0x60);
        r.Data(0x44); // translation, system flag, no interrupt
        r.Key(0x1C, true);
        Assert.Equal(0, r.Irq.RisingEdgeCount(1));
        Assert.Equal(new byte[] { 0x1C }, r.Drain());
    }

    [Fact]
    public void DisabledInterfaceHoldsKeysUntilEnabled()
    {
        var r = new Kbc8042Tests.Rig();
        r.Command(0xAD);
        r.Key(0x1E, true);
        r.Key(0x1E, false);
        Assert.Equal(0, r.Status & Kbc8042.StatusOutputFull);
        Assert.Equal(0, r.Irq.RisingEdgeCount(1));
        r.Command(0xAE);
        Assert.Equal(new byte[] { 0x1E, 0x9E }, r.Drain());
    }

    [Fact]
    public void ScanningDisabledDropsKeys()
    {
        var r = new Kbc8042Tests.Rig();
        r.Data(0xF5);
        Assert.Equal(new byte[] { 0xFA }, r.Drain());
        r.Key(0x1E, true);
        Assert.Empty(r.Drain());
        r.Data(0xF4);
        Assert.Equal(new byte[] { 0xFA }, r.Drain());
        r.Key(0x1E, true);
        Assert.Equal(new byte[] { 0x1E }, r.Drain());
    }

    [Fact]
    public void AnUnreadOutputQueueStopsGrowing()
    {
        var r = new Kbc8042Tests.Rig();
        for (int i = 0; i < 1000; i++) r.Key(0x1E, (i & 1) == 0);
        Assert.Equal(Kbc8042.OutputQueueLimit, r.Drain().Count);
    }

    [Fact]
    public void HeldKeysAndAPendingTranslationSurviveASnapshot()
    {
        var r = new Kbc8042Tests.Rig();
        r.Command(0xAD);
        r.Key(0x1E, true);  // held: the interface is disabled
        var w = new Emulator.Core.Snapshots.SnapshotWriter();
        r.Kbc.SaveState(w);

        var other = new Kbc8042Tests.Rig();
        var reader = new Emulator.Core.Snapshots.SnapshotReader("kbc", w.ToArray());
        other.Kbc.LoadState(reader);
        reader.ExpectEnd();
        Assert.False(other.Kbc.KeyboardEnabled);
        Assert.Empty(other.Drain());
        other.Command(0xAE);
        Assert.Equal(new byte[] { 0x1E }, other.Drain());
    }
}
