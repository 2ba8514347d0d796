package dev.sttbench.loadgen.cli;

import dev.sttbench.loadgen.net.RealtimeScheduling;
import dev.sttbench.loadgen.net.Target;
import java.nio.file.Path;

/** The {@code run} command's flags: the public suite's names and defaults plus ours. */
public record RunOptions(
        String url,
        Target target,
        int sessions,
        long warmupSecs,
        long measureSecs,
        long rampUpSecs,
        long sessionStartSpreadMs,
        int repeat,
        long connectTimeoutMs,
        long sendTimeoutMs,
        long closeGraceMs,
        long sessionGraceSecs,
        Path samplesOut,
        String serviceName,
        int threads,
        int rtPriority,
        SendPath sendPath,
        int sendBufferBytes,
        Path jsonOut,
        boolean slo) {

    public static Flags flags() {
        return new Flags("run", "Open-loop load: N WebSocket sessions, one 640-byte PCM frame per 20 ms each;"
                + " prints the summary JSON on stdout and a verdict line on stderr.")
                .required("url", "gateway WebSocket URL, e.g. ws://127.0.0.1:8080/ws/stt")
                .required("sessions", "concurrent sessions")
                .optional("warmup-secs", "15", "seconds after ramp-up + spread before the measured window")
                .optional("measure-secs", "90", "length of the measured window in seconds")
                .optional("ramp-up-secs", "0", "session starts spread linearly over this many seconds")
                .optional("session-start-spread-ms", "0", "plus this many milliseconds")
                .optional("repeat", "1", "runs back to back, each with its own summary")
                .optional("connect-timeout-ms", "5000", "TCP connect + upgrade deadline per session")
                .optional("send-timeout-ms", "5000", "a frame not fully written this long after its due time is a send timeout")
                .optional("close-grace-ms", "5000", "wait this long for the server's close after ours")
                .optional("session-grace-secs", "15", "a session not done this long after the window is a session timeout")
                .optional("samples-out", null, "write one CSV row per recorded partial here")
                .optional("service-name", null, "label copied into the summary")
                .optional("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "selector loops")
                .optional("rt-priority", "0", "run each selector loop under SCHED_FIFO at this priority, 1-99, so that"
                        + " no other task on its core delays a due frame (0 = normal scheduling; needs root or CAP_SYS_NICE)")
                .optional("send-path", "auto", "io_uring: the frames due at a wake-up as io_uring sends, one"
                        + " submit; write: one write per frame; auto: io_uring where the kernel allows it")
                .optional("send-buffer-bytes", "0", "SO_SNDBUF of every session's socket (0 = the kernel's autotuning,"
                        + " megabytes on loopback); small values make a stalled gateway show as held-back sends within seconds")
                .optional("json-out", null, "also write the summary JSON here (an array when --repeat > 1)")
                .toggle("slo", "exit 0 on PASS, 1 on FAIL, 2 when the run is invalid (client-bound)");
    }

    /** Reads parsed flags into options, validating each one. */
    public static RunOptions from(Flags flags) throws UsageException {
        String url = flags.string("url");
        Target target;
        try {
            target = Target.parse(url);
        } catch (IllegalArgumentException e) {
            throw new UsageException("run: --url " + e.getMessage());
        }
        String samplesOut = flags.string("samples-out");
        String jsonOut = flags.string("json-out");
        long rtPriority = flags.nonNegativeLong("rt-priority");
        if (rtPriority > RealtimeScheduling.MAX_PRIORITY) {
            throw new UsageException("run: --rt-priority must be 0.." + RealtimeScheduling.MAX_PRIORITY + ", got " + rtPriority);
        }
        return new RunOptions(
                url,
                target,
                flags.positiveInt("sessions"),
                flags.nonNegativeLong("warmup-secs"),
                flags.positiveLong("measure-secs"),
                flags.nonNegativeLong("ramp-up-secs"),
                flags.nonNegativeLong("session-start-spread-ms"),
                flags.positiveInt("repeat"),
                flags.positiveLong("connect-timeout-ms"),
                flags.positiveLong("send-timeout-ms"),
                flags.positiveLong("close-grace-ms"),
                flags.nonNegativeLong("session-grace-secs"),
                samplesOut == null ? null : Path.of(samplesOut),
                flags.string("service-name"),
                flags.positiveInt("threads"),
                (int) rtPriority,
                SendPath.parse(flags.string("send-path")),
                (int) Math.min(Integer.MAX_VALUE, flags.nonNegativeLong("send-buffer-bytes")),
                jsonOut == null ? null : Path.of(jsonOut),
                flags.bool("slo"));
    }

    /** How a loop hands its frames to the kernel. */
    public enum SendPath {
        AUTO, IO_URING, WRITE;

        static SendPath parse(String value) throws UsageException {
            return switch (value) {
                case "auto" -> AUTO;
                case "io_uring" -> IO_URING;
                case "write" -> WRITE;
                default -> throw new UsageException("run: --send-path must be auto, io_uring or write, got '" + value + "'");
            };
        }
    }
}
