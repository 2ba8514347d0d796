package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.cli.Flags;
import dev.sttbench.loadgen.cli.UsageException;
import dev.sttbench.loadgen.net.Target;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code density} command's flags.
 *
 * @param sourceAddresses the explicit {@code --source-addresses} list, or null for {@code auto}
 * @param processes       {@link #AUTO_PROCESSES} to let the open-files limit decide
 */
public record DensityOptions(
        String url,
        Target target,
        int connections,
        int rate,
        int maxPending,
        int holdSeconds,
        int frameIntervalMs,
        List<InetAddress> sourceAddresses,
        long timeoutMs,
        Path out,
        int processes) {

    public static final int AUTO_PROCESSES = 0;

    public static Flags flags() {
        return new Flags("density", "Open many mostly idle WebSocket sessions, hold them, prove each one alive with"
                + " a ping, close them; prints the result JSON on stdout and a summary on stderr.\n"
                + "Exit 0 when every connection opened, stayed open, answered its ping, had every frame answered and"
                + " answered its close;\n3 when any failure count is above 0; 2 for a bad command line; 1 when the run"
                + " itself broke (a child process failed, --out not writable).")
                .required("url", "gateway WebSocket URL, e.g. ws://127.0.0.1:8080/ws/stt")
                .required("connections", "sessions to open and hold")
                .optional("rate", "2000", "connections opened per second; 0 = as fast as --max-pending allows")
                .optional("max-pending", "512", "most connect + upgrade handshakes in progress at once")
                .optional("hold", "30", "seconds to hold the connections once all are open")
                .optional("frame-interval-ms", "0", "0 = silent after the start message; N = each connection sends"
                        + " a 640-byte audio frame every N ms (phases spread) and each must be answered")
                .optional("source-addresses", "auto", "auto or A,B,...: local addresses to bind before connecting;"
                        + " auto adds 127.0.0.2, ... toward a loopback target when one address has too few ports")
                .optional("timeout-ms", "10000", "deadline of connect + upgrade, of each pong, of the answers to"
                        + " the frames, and of each close")
                .optional("out", null, "also write the result JSON here")
                .optional("processes", "auto", "processes to spread the connections over; auto = as many as the"
                        + " open-files limit needs");
    }

    /** Reads parsed flags into options, validating each one. */
    public static DensityOptions from(Flags flags) throws UsageException {
        String url = flags.string("url");
        Target target;
        try {
            target = Target.parse(url);
        } catch (IllegalArgumentException e) {
            throw new UsageException("density: --url " + e.getMessage());
        }
        String out = flags.string("out");
        return new DensityOptions(
                url,
                target,
                flags.positiveInt("connections"),
                intAtMost(flags, "rate", flags.nonNegativeLong("rate")),
                flags.positiveInt("max-pending"),
                intAtMost(flags, "hold", flags.nonNegativeLong("hold")),
                intAtMost(flags, "frame-interval-ms", flags.nonNegativeLong("frame-interval-ms")),
                sourceAddresses(flags.string("source-addresses")),
                flags.positiveLong("timeout-ms"),
                out == null ? null : Path.of(out),
                processes(flags.string("processes")));
    }

    private static int intAtMost(Flags flags, String name, long value) throws UsageException {
        if (value > Integer.MAX_VALUE) {
            throw new UsageException("density: --" + name + " is too large: " + value);
        }
        return (int) value;
    }

    /** {@code auto} → null; else a comma-separated list of IP literals (no names: nothing to resolve). */
    static List<InetAddress> sourceAddresses(String value) throws UsageException {
        if (value.equals("auto")) {
            return null;
        }
        Set<InetAddress> addresses = new LinkedHashSet<>();
        for (String part : value.split(",", -1)) {
            InetAddress address;
            try {
                address = InetAddress.ofLiteral(part.trim());
            } catch (IllegalArgumentException e) {
                throw new UsageException("density: --source-addresses must be auto or IP addresses A,B,...;"
                        + " '" + part + "' is not an IP address");
            }
            if (!addresses.add(address)) {
                throw new UsageException("density: --source-addresses lists " + part.trim() + " twice");
            }
        }
        return List.copyOf(new ArrayList<>(addresses));
    }

    private static int processes(String value) throws UsageException {
        if (value.equals("auto")) {
            return AUTO_PROCESSES;
        }
        try {
            int processes = Integer.parseInt(value);
            if (processes >= 1) {
                return processes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("density: --processes must be auto or a positive integer, got '" + value + "'");
    }
}
