package dev.sttbench.loadgen.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sttbench.loadgen.Main;
import dev.sttbench.loadgen.cli.Flags;
import dev.sttbench.loadgen.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DensityOptionsTest {
    private static DensityOptions parse(String... args) throws UsageException {
        Flags flags = DensityOptions.flags();
        assertTrue(flags.parse(args));
        return DensityOptions.from(flags);
    }

    @Test
    void defaultsAreTheDocumentedOnes() throws UsageException {
        DensityOptions options = parse("--url", "ws://127.0.0.1:8080/ws/stt", "--connections", "1000000");
        assertEquals(1_000_000, options.connections());
        assertEquals(2000, options.rate());
        assertEquals(512, options.maxPending());
        assertEquals(30, options.holdSeconds());
        assertEquals(0, options.frameIntervalMs());
        assertNull(options.sourceAddresses(), "auto");
        assertEquals(10_000, options.timeoutMs());
        assertNull(options.out());
        assertEquals(DensityOptions.AUTO_PROCESSES, options.processes());
        assertEquals("/ws/stt", options.target().path());
        assertEquals(8080, options.target().address().getPort());
    }

    @Test
    void everyFlagIsRead() throws UsageException {
        DensityOptions options = parse("--url=ws://localhost:9/x", "--connections", "7", "--rate", "0",
                "--max-pending", "3", "--hold", "0", "--frame-interval-ms", "20",
                "--source-addresses", "127.0.0.2, 127.0.0.3", "--timeout-ms", "250", "--out", "d.json",
                "--processes", "4");
        assertEquals(7, options.connections());
        assertEquals(0, options.rate());
        assertEquals(3, options.maxPending());
        assertEquals(0, options.holdSeconds());
        assertEquals(20, options.frameIntervalMs());
        assertEquals(List.of(InetAddress.ofLiteral("127.0.0.2"), InetAddress.ofLiteral("127.0.0.3")),
                options.sourceAddresses());
        assertEquals(250, options.timeoutMs());
        assertEquals(Path.of("d.json"), options.out());
        assertEquals(4, options.processes());
    }

    @Test
    void badValuesAreUsageErrors() {
        String url = "ws://127.0.0.1:1/ws/stt";
        assertThrows(UsageException.class, () -> parse("--url", url));
        assertThrows(UsageException.class, () -> parse("--connections", "5"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "0"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5", "--rate", "-1"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5", "--max-pending", "0"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5", "--timeout-ms", "0"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5", "--processes", "0"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5", "--processes", "two"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5", "--hold", "99999999999"));
        assertThrows(UsageException.class, () -> parse("--url", "http://x/", "--connections", "5"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5",
                "--source-addresses", "localhost"), "names are not resolved");
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5",
                "--source-addresses", "127.0.0.2,,127.0.0.3"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5",
                "--source-addresses", "127.0.0.2,127.0.0.2"));
        assertThrows(UsageException.class, () -> parse("--url", url, "--connections", "5", "--bogus", "1"));
    }

    @Test
    void theCommandExitsTwoOnABadCommandLineAndZeroOnHelp() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(2, Main.run(new String[] {"density", "--connections", "5"}, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--url is required"), err.toString(StandardCharsets.UTF_8));
        assertEquals(2, Main.run(new String[] {"density", "--url", "ws://127.0.0.1:1/", "--connections", "5",
                "--shard", "2/2"}, o, e));
        assertEquals(0, Main.run(new String[] {"density", "--help"}, o, e));
        String usage = out.toString(StandardCharsets.UTF_8);
        assertTrue(usage.startsWith("usage: loadgen density"), usage);
        assertFalse(usage.contains("--shard"), "the parent-to-child flag stays hidden");
    }
}
