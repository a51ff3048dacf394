package io.zentinel.sentinel.lua.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zentinel.sentinel.lua.supervisor.admin.Reports;
import io.zentinel.sentinel.lua.supervisor.admin.StatusReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Colours never change the layout: stripped of escape codes, coloured output is the plain output. */
class StatusPrinterTest {

    private static String print(Style style) {
        StringWriter out = new StringWriter();
        new StatusPrinter(new PrintWriter(out, true), style).status(Reports.status(Reports.rejected()));
        return out.toString();
    }

    @Test
    void colouredOutputIsThePlainOutputPlusEscapeCodes() {
        String plain = print(Style.PLAIN);
        String coloured = print(new Style(true));
        assertFalse(plain.contains("\u001B["), "no escape codes without a terminal");
        assertTrue(coloured.contains("\u001B[32mready\u001B[0m"), coloured);
        assertTrue(coloured.contains("\u001B[31mrejected\u001B[0m"), coloured);
        assertEquals(plain, coloured.replaceAll("\u001B\\[[0-9;]*m", ""));
    }

    @Test
    void aCrashLoopIsShownWithItsBackoffAndTheLatestEarlyDeath() {
        StatusReport healthy = Reports.status(null);
        StatusReport.Agent a = healthy.agent();
        StatusReport looping = new StatusReport(new StatusReport.Agent(a.version(), a.pid(), a.started(),
                a.uptimeSeconds(), a.socketPath(), a.adminSocketPath(), a.scriptsDirectory(), a.hotReload(),
                a.watchIntervalMs(), a.failOpen(), a.workersConfigured(), a.vmsPerWorker(), a.workersStandby(), 7, 1600,
                "worker-19 - exited with status 1"), healthy.supervisor(), List.of(), healthy.scripts(),
                healthy.lastReload(), healthy.reloads(), healthy.totals());
        StringWriter out = new StringWriter();

        new StatusPrinter(new PrintWriter(out, true), Style.PLAIN).status(looping);

        assertTrue(out.toString().contains("\n  crash loop: 7 early worker deaths in a row, next relaunch after 1.6 s;"
                + " last: worker-19 - exited with status 1\n"), out.toString());
        assertFalse(print(Style.PLAIN).contains("crash loop"), "not while healthy");
    }

    @Test
    void noColorTurnsColoursOff() {
        assertFalse(Style.detect(java.util.Map.of("NO_COLOR", "1")).colour());
    }

    @Test
    void figuresArePrintedInReadableUnits() {
        assertEquals("512 B", Figures.bytes(512L));
        assertEquals("48.0 MiB", Figures.bytes(48L * 1024 * 1024));
        assertEquals("-", Figures.bytes(null));
        assertEquals("59s", Figures.age(59));
        assertEquals("3m10s", Figures.age(190));
        assertEquals("1h02m", Figures.age(3725));
        assertEquals("2d03h", Figures.age(2 * 86400 + 3 * 3600 + 59));
        assertEquals("850 ms", Figures.millis(850));
        assertEquals("1.8 s", Figures.millis(1834));
    }
}
