package dev.sttbench.loadgen.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.cliftonlabs.json_simple.JsonArray;
import dev.sttbench.loadgen.density.ScriptedServer.Script;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each failure cause that a conforming gateway never shows, provoked by a server that breaks one rule. */
@Timeout(60)
class DensityAgainstScriptedServersTest {
    private static final int N = 4;

    private static DensityRun against(Script script, String... extra) throws Exception {
        return against(script, 0, extra);
    }

    private static DensityRun against(Script script, int hold, String... extra) throws Exception {
        try (ScriptedServer server = new ScriptedServer(script)) {
            String[] args = {"--url", server.url(), "--connections", String.valueOf(N), "--hold", String.valueOf(hold),
                    "--timeout-ms", "400", "--processes", "1"};
            String[] all = new String[args.length + extra.length];
            System.arraycopy(args, 0, all, 0, args.length);
            System.arraycopy(extra, 0, all, args.length, extra.length);
            return DensityRun.of(all);
        }
    }

    private static void assertOnly(DensityRun run, String cause, long count) {
        assertEquals(3, run.exit(), run.why());
        DensityResultTest.assertShape(run.json());
        assertEquals(count, run.number("failures." + cause), run.why());
        assertEquals(count, run.number("failures_total"), run.why());
        assertTrue(run.stderr().contains("density FAIL"), run.why());
        assertTrue(run.stderr().contains(cause + " " + count + " (first: connection "), run.why());
    }

    @Test
    void aPortNobodyListensOnIsRefused() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = probe.getLocalPort();
        }
        DensityRun run = DensityRun.of("--url", "ws://127.0.0.1:" + port + "/ws/stt", "--connections", "20",
                "--hold", "5", "--processes", "1");
        assertOnly(run, "refused", 20);
        assertEquals(0, run.number("open.opened"));
        assertEquals(0, run.number("liveness.checked"));
        long held = run.number("hold_done_epoch_ms") - run.number("open_done_epoch_ms");
        assertTrue(held < 1000, "nothing open, so no 5 s hold, but " + held + " ms");
    }

    @Test
    void connectionsAreBoundRoundRobinToTheSourceAddressesGiven() throws Exception {
        try (ScriptedServer server = new ScriptedServer(Script.POLITE)) {
            DensityRun run = DensityRun.of("--url", server.url(), "--connections", "6", "--hold", "0",
                    "--source-addresses", "127.0.0.2,127.0.0.3", "--processes", "1");
            assertEquals(0, run.exit(), run.why());
            assertEquals(new JsonArray(List.of("127.0.0.2", "127.0.0.3")), run.at("source_addresses"));
            assertEquals(Set.of("127.0.0.2", "127.0.0.3"), server.peers());
            assertEquals(6, run.number("liveness.alive"));
        }
    }

    @Test
    void anAddressThatIsNotLocalIsALocalAddressFailure() throws Exception {
        // 192.0.2.0/24 is TEST-NET-1: documentation only, configured on no interface.
        assertOnly(against(Script.POLITE, 0, "--source-addresses", "192.0.2.1"), "local_address", N);
    }

    @Test
    void aServerThatAnswersNoPingLeavesEveryConnectionDead() throws Exception {
        DensityRun run = against(Script.MUTE);
        assertOnly(run, "dead", N);
        assertEquals(N, run.number("open.opened"));
        assertEquals(N, run.number("liveness.checked"));
        assertEquals(0, run.number("liveness.alive"));
    }

    @Test
    void aCloseFromTheServerIsCounted() throws Exception {
        DensityRun run = against(Script.CLOSE_AT_ONCE, 1);
        assertOnly(run, "closed_by_server", N);
        assertEquals(N, run.number("open.opened"));
        assertEquals(0, run.number("liveness.checked"));
    }

    @Test
    void aWrongAcceptKeyIsAProtocolFailure() throws Exception {
        DensityRun run = against(Script.WRONG_ACCEPT);
        assertOnly(run, "protocol", N);
        assertEquals(0, run.number("open.opened"));
    }

    @Test
    void anotherStatusIsHttpOther() throws Exception {
        assertOnly(against(Script.NOT_FOUND), "http_other", N);
    }

    @Test
    void anUnansweredCloseTimesOut() throws Exception {
        DensityRun run = against(Script.IGNORE_CLOSE);
        assertOnly(run, "close_timeout", N);
        assertEquals(N, run.number("liveness.alive"));
    }

    @Test
    void aPartialForFramesNeverSentIsAProtocolFailure() throws Exception {
        assertOnly(against(Script.PHANTOM_PARTIAL, 1), "protocol", N);
    }

    @Test
    void framesNoneAnswersAreUnanswered() throws Exception {
        // IGNORE_CLOSE answers pings but sends no partial: the frames stay unanswered, and such a connection
        // counts there and not again for its unanswered close.
        DensityRun run = against(Script.IGNORE_CLOSE, 1, "--frame-interval-ms", "50");
        assertOnly(run, "unanswered_frames", N);
        assertTrue(run.number("frames.sent") >= N * 10, run.why());
        assertEquals(0, run.number("frames.answered"));
    }
}
