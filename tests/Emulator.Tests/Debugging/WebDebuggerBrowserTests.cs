using System.Text.RegularExpressions;
using Emulator.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Emulator.Tests.Debugging;

/// <summary>
/// The web debugger's page in a real browser: Debian's headless Chromium driven by Playwright (which
/// never downloads a browser here: it is launched from /usr/bin/chromium; .ci/run installs it),
/// against `emu debug -machine xen` on the toy kernel in this process.
/// </summary>
public sealed class WebDebuggerBrowserTests(ITestOutputHelper output)
{
    /// <summary>The toy kernel's entry under -machine xen, where emu debug starts paused.</summary>
    private static readonly uint XenStart = ElfSymbols.Address(GuestImages.ToyKernel, "xen_start");

    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Where the screenshot of the page is saved (a test artifact).</summary>
    public static string ScreenshotPath => Path.Combine(AppContext.BaseDirectory, "artifacts", "debugger-ui.png");

    private static readonly float WaitMs = 15_000;

    private static async Task<IBrowser> LaunchChromium(IPlaywright playwright) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });

    /// <summary>Waits until the page shows a stop later than <paramref name="stopsBefore"/>; returns the stop count shown.</summary>
    private static async Task<int> WaitForStopAfter(IPage page, int stopsBefore)
    {
        await page.WaitForFunctionAsync(
            "n => { const s = document.getElementById('status'); return s.dataset.state === 'stopped' && Number(s.dataset.stops) > n; }",
            stopsBefore, new PageWaitForFunctionOptions { Timeout = WaitMs });
        return int.Parse((await page.GetAttributeAsync("#status", "data-stops"))!);
    }

    private static async Task<Dictionary<string, string>> Registers(IPage page)
    {
        var cells = await page.Locator("#registers td[data-reg]").AllAsync();
        var registers = new Dictionary<string, string>();
        foreach (var cell in cells) registers[(await cell.GetAttributeAsync("data-reg"))!] = await cell.InnerTextAsync();
        return registers;
    }

    [Fact]
    public async Task ThePageRunsToAnMmuUpdateShowsItDecodedStepsAndStepsBack()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        var run = WebDebuggerRun.Start();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromium(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1400 } });
        page.SetDefaultTimeout(WaitMs);
        try
        {
            await page.GotoAsync(run.Url);
            int stops = await WaitForStopAfter(page, 0);
            Assert.Contains("paused", await page.InnerTextAsync("#status"));
            Assert.Equal($"0x{XenStart:x8}", await page.InnerTextAsync("#reg-eip"));
            Assert.Contains("xen_start", await page.InnerTextAsync("#disassembly tr.current"));

            // Run to one hypercall after another until the log shows an mmu_update: its PTE value decoded, result 0.
            var mmuUpdate = page.Locator("#hypercalls li[data-name='mmu_update'][data-result='0']");
            for (int k = 0; k < 40 && await mmuUpdate.CountAsync() == 0; k++)
            {
                await page.ClickAsync("#btn-hypercall");
                stops = await WaitForStopAfter(page, stops);
            }
            Assert.True(await mmuUpdate.CountAsync() > 0, "no successful mmu_update in the hypercall log");
            string entry = await mmuUpdate.First.InnerTextAsync();
            Assert.Matches(@"mmu_update\(reqs=0x[0-9a-f]{8}, count=\d+, foreigndom=0x7ff0, entries=\[\{ptr=0x[0-9a-f]{16}, cmd=normal_pt_update, val=0x[0-9a-f]{16}\}.*\]\) = 0$", entry);
            Assert.Contains("hypercall", await page.InnerTextAsync("#status"));

            // Its details: the tick and the context it returned to.
            await mmuUpdate.First.ClickAsync();
            await page.WaitForSelectorAsync("#hypercall-detail:has-text('tick (instructions executed)')", new PageWaitForSelectorOptions { Timeout = WaitMs });
            Assert.Matches(new Regex(@"returned to: eip 0x[0-9a-f]{8}"), await page.InnerTextAsync("#hypercall-detail"));

            // A step changes EIP (highlighted); a reverse step brings every register back.
            var before = await Registers(page);
            await page.ClickAsync("#btn-step");
            stops = await WaitForStopAfter(page, stops);
            var after = await Registers(page);
            Assert.NotEqual(before["eip"], after["eip"]);
            Assert.Contains("changed", await page.GetAttributeAsync("#reg-eip", "class") ?? "");
            await page.ClickAsync("#btn-reverse");
            stops = await WaitForStopAfter(page, stops);
            Assert.Contains("reverse step", await page.InnerTextAsync("#status"));
            Assert.Equal(before, await Registers(page));
            await page.Keyboard.PressAsync("s");                 // the key does what the button does: forward again
            stops = await WaitForStopAfter(page, stops);
            Assert.Equal(after, await Registers(page));

            // The page-table walk of the current EIP ends in a physical address.
            await page.FillAsync("#walk-address", after["eip"]);
            await page.ClickAsync("#walk-go");
            await page.WaitForSelectorAsync("#walk:has-text('-> physical 0x')", new PageWaitForSelectorOptions { Timeout = WaitMs });
            Assert.Contains("PAE paging", await page.InnerTextAsync("#walk"));

            // The console panel shows what the guest printed so far.
            await page.WaitForSelectorAsync("#console:not(:empty)", new PageWaitForSelectorOptions { Timeout = WaitMs });

            // Memory at EIP holds the current instruction's bytes, as the disassembly shows them.
            string currentBytes = await page.InnerTextAsync("#disassembly tr.current td.bytes");
            await page.FillAsync("#mem-address", after["eip"]);
            await page.ClickAsync("#mem-go");
            await page.WaitForSelectorAsync($"#memory:has-text('{after["eip"]}  ')", new PageWaitForSelectorOptions { Timeout = WaitMs });
            string dump = (await page.InnerTextAsync("#memory")).Split('\n')[1];
            Assert.StartsWith(string.Join(' ', currentBytes.Chunk(2).Select(c => new string(c))), dump[12..]);

            // A hypercall breakpoint set on the page stops the next console_io; removed with its button.
            await page.SelectOptionAsync("#bp-kind", "hypercall");
            await page.FillAsync("#bp-value", "console_io");
            await page.ClickAsync("#bp-add");
            var hypercallBreak = page.Locator("#breakpoints li", new PageLocatorOptions { HasText = "hypercall console_io" });
            await hypercallBreak.WaitForAsync(new LocatorWaitForOptions { Timeout = WaitMs });
            await page.ClickAsync("#btn-continue");
            stops = await WaitForStopAfter(page, stops);
            Assert.Matches(@"stopped: console_io\(cmd=write, count=\d+, buf=0x[0-9A-F]{8}\) = \d+ at ", await page.InnerTextAsync("#status"));
            await hypercallBreak.Locator("button").ClickAsync();
            await hypercallBreak.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached, Timeout = WaitMs });

            // An address breakpoint with a condition from the form; one at EIP by clicking its address in the disassembly.
            await page.SelectOptionAsync("#bp-kind", "address");
            await page.FillAsync("#bp-value", $"0x{XenStart:x}");
            await page.FillAsync("#bp-extra", "eax == 0x10");
            await page.ClickAsync("#bp-add");
            await page.Locator("#breakpoints li", new PageLocatorOptions { HasText = $"exec 0x{XenStart:x8} if eax == 0x10 (0 hits)" }).WaitForAsync(new LocatorWaitForOptions { Timeout = WaitMs });
            string eip = await page.InnerTextAsync("#reg-eip");
            await page.ClickAsync("#disassembly tr.current td.addr");
            await page.WaitForSelectorAsync("#disassembly tr.current.bp", new PageWaitForSelectorOptions { Timeout = WaitMs });
            Assert.Equal(2, await page.Locator("#breakpoints li").CountAsync());
            await page.ClickAsync("#disassembly tr.current td.addr");
            await page.WaitForSelectorAsync("#disassembly tr.current:not(.bp)", new PageWaitForSelectorOptions { Timeout = WaitMs });
            Assert.Single(await page.Locator("#breakpoints li").AllInnerTextsAsync());

            // A physical write watch over the VGA text buffer, set and removed on the page.
            await page.SelectOptionAsync("#bp-kind", "physical-watch");
            await page.FillAsync("#bp-value", "0xb8000");
            await page.FillAsync("#bp-extra", "4000");
            await page.ClickAsync("#bp-add");
            var watch = page.Locator("#breakpoints li", new PageLocatorOptions { HasText = "write physical 0x000b8000 (4000 bytes)" });
            await watch.WaitForAsync();
            await watch.Locator("button").ClickAsync();
            await watch.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
        }
        finally
        {
            Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath, FullPage = true });
            output.WriteLine($"screenshot of the debugger page: {ScreenshotPath}");
            await page.ClickAsync("#btn-kill");
        }
        Assert.Equal(130, run.Join(TimeSpan.FromSeconds(30)));
    }
}
