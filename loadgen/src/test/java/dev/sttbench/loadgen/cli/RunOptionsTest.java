package dev.sttbench.loadgen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sttbench.loadgen.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RunOptionsTest {
    private static RunOptions parse(String... args) throws UsageException {
        Flags flags = RunOptions.flags();
        assertTrue(flags.parse(args));
        return RunOptions.from(flags);
    }

    @Test
    void defaultsAreThePublicSuites() throws UsageException {
        RunOptions options = parse("--url", "ws://127.0.0.1:8080/ws/stt", "--sessions", "100");
        assertEquals(15, options.warmupSecs());
        assertEquals(90, options.measureSecs());
        assertEquals(0, options.rampUpSecs());
        assertEquals(0, options.sessionStartSpreadMs());
        assertEquals(1, options.repeat());
        assertEquals(5000, options.connectTimeoutMs());
        assertEquals(5000, options.sendTimeoutMs());
        assertEquals(5000, options.closeGraceMs());
        assertEquals(15, options.sessionGraceSecs());
        assertEquals(Runtime.getRuntime().availableProcessors(), options.threads());
        assertEquals(0, options.rtPriority());
        assertEquals(RunOptions.SendPath.AUTO, options.sendPath());
        assertEquals(0, options.sendBufferBytes());
        assertNull(options.samplesOut());
        assertNull(options.jsonOut());
        assertFalse(options.slo());
        assertEquals("/ws/stt", options.target().path());
        assertEquals("127.0.0.1:8080", options.target().hostHeader());
    }

    @Test
    void everyFlagIsRead() throws UsageException {
        RunOptions options = parse("--url=ws://localhost:9/x", "--sessions", "4000", "--warmup-secs", "10",
                "--measure-secs", "45", "--ramp-up-secs", "30", "--session-start-spread-ms", "1000", "--repeat", "2",
                "--connect-timeout-ms", "1", "--send-timeout-ms", "2", "--close-grace-ms", "3",
                "--session-grace-secs", "4", "--samples-out", "s.csv", "--service-name", "nio", "--threads", "1",
                "--rt-priority", "5", "--send-path", "write", "--send-buffer-bytes", "8192", "--json-out", "o.json", "--slo");
        assertEquals(4000, options.sessions());
        assertEquals(30, options.rampUpSecs());
        assertEquals(1000, options.sessionStartSpreadMs());
        assertEquals(2, options.repeat());
        assertEquals(4, options.sessionGraceSecs());
        assertEquals(Path.of("s.csv"), options.samplesOut());
        assertEquals("nio", options.serviceName());
        assertEquals(1, options.threads());
        assertEquals(5, options.rtPriority());
        assertEquals(RunOptions.SendPath.WRITE, options.sendPath());
        assertEquals(8192, options.sendBufferBytes());
        assertTrue(options.slo());
    }

    @Test
    void badFlagsAreClearErrors() {
        assertTrue(assertThrows(UsageException.class, () -> parse("--sessions", "1")).getMessage().contains("--url is required"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "ws://127.0.0.1:1/", "--sessions", "x"))
                .getMessage().contains("--sessions must be an integer"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "ws://127.0.0.1:1/", "--sessions", "0"))
                .getMessage().contains("--sessions must be >= 1"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "http://127.0.0.1:1/", "--sessions", "1"))
                .getMessage().contains("ws://"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "ws://127.0.0.1:1/", "--sessions", "1", "--bogus", "1"))
                .getMessage().contains("unknown flag --bogus"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "ws://127.0.0.1:1/", "--sessions"))
                .getMessage().contains("--sessions needs a value"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "ws://127.0.0.1:1/", "--sessions", "1", "--rt-priority", "100"))
                .getMessage().contains("--rt-priority must be 0..99, got 100"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "ws://127.0.0.1:1/", "--sessions", "1", "--rt-priority", "-1"))
                .getMessage().contains("--rt-priority must be >= 0"));
        assertTrue(assertThrows(UsageException.class, () -> parse("--url", "ws://127.0.0.1:1/", "--sessions", "1", "--send-path", "splice"))
                .getMessage().contains("--send-path must be auto, io_uring or write, got 'splice'"));
    }

    @Test
    void mainExits2OnBadFlagsAndPrintsHelp() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(2, Main.run(new String[] {"run", "--sessions", "1"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--url is required"));
        assertEquals(0, Main.run(new String[] {"run", "--help"}, o, e));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--session-start-spread-ms"));
        assertEquals(0, Main.run(new String[] {"conformance", "--help"}, o, e));
        assertEquals(2, Main.run(new String[] {"conformance"}, o, e));
        assertEquals(2, Main.run(new String[] {"nonsense"}, o, e));
        assertEquals(2, Main.run(new String[0], o, e));
    }
}
