package dev.sttbench.loadgen.run;

import dev.sttbench.loadgen.cli.Flags;
import dev.sttbench.loadgen.cli.RunOptions;
import dev.sttbench.loadgen.cli.UsageException;
import dev.sttbench.loadgen.net.ClientLoop;
import dev.sttbench.loadgen.net.LoopTimeouts;
import dev.sttbench.loadgen.net.RealtimeScheduling;
import dev.sttbench.loadgen.schedule.RunSchedule;
import dev.sttbench.loadgen.stats.Percentiles;
import dev.sttbench.loadgen.stats.RunStats;
import dev.sttbench.loadgen.stats.SamplesCsv;
import dev.sttbench.loadgen.stats.SloGates;
import dev.sttbench.loadgen.stats.SloGates.Verdict;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code loadgen run}: drives the sessions on {@code --threads} selector loops, then writes the summary
 * (stdout and {@code --json-out}), the samples CSV and the one-line verdict (stderr).
 */
public final class RunCommand {
    /** A run whose send-lag p99 exceeds one frame interval measured the client, not the server. */
    public static final double CLIENT_BOUND_SEND_LAG_P99_MS = 20.0;
    /** ... as does one whose busiest loop spent more than this share of the window outside select. */
    public static final double CLIENT_BOUND_BUSY_RATIO = 0.9;

    public static final int EXIT_PASS = 0;
    public static final int EXIT_FAIL = 1;
    public static final int EXIT_INVALID = 2;

    private RunCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = RunOptions.flags();
        RunOptions options;
        try {
            if (!flags.parse(args)) {
                out.print(flags.usage());
                return EXIT_PASS;
            }
            options = RunOptions.from(flags);
        } catch (UsageException e) {
            err.println(e.getMessage());
            return EXIT_INVALID;
        }
        if (options.rtPriority() > 0) {
            try {
                RealtimeScheduling.checkAllowed(options.rtPriority());
            } catch (RuntimeException e) {
                err.println("run: --rt-priority " + options.rtPriority() + ": " + e.getMessage());
                return EXIT_INVALID;
            }
        }
        boolean ioUring;
        try {
            ioUring = ClientLoop.resolveIoUring(options.sendPath());
        } catch (IOException e) {
            err.println("run: --send-path io_uring: " + e.getMessage());
            return EXIT_INVALID;
        }
        try {
            return runAll(options, ioUring, out, err);
        } catch (IOException | RuntimeException e) {
            err.println("run: " + e);
            return EXIT_INVALID;
        }
    }

    private static int runAll(RunOptions options, boolean ioUring, PrintStream out, PrintStream err) throws IOException {
        List<Map<String, Object>> summaries = new ArrayList<>();
        int exit = EXIT_PASS;
        for (int run = 1; run <= options.repeat(); run++) {
            Path samplesFile = samplesFile(options, run);
            RunReport report = executeOnce(options, ioUring, samplesFile);
            Map<String, Object> summary = report.summary(options, samplesFile, run);
            summaries.add(summary);
            err.println(report.verdictLine(options.sessions()));
            if (options.slo()) {
                exit = Math.max(exit, switch (report.slo().verdict()) {
                    case PASS -> EXIT_PASS;
                    case FAIL -> EXIT_FAIL;
                    case INVALID -> EXIT_INVALID;
                });
            }
        }
        String json = PrettyJson.write(options.repeat() == 1 ? summaries.get(0) : summaries);
        out.println(json);
        if (options.jsonOut() != null) {
            Path parent = options.jsonOut().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(options.jsonOut(), json + "\n", StandardCharsets.UTF_8);
        }
        return exit;
    }

    /** {@code --samples-out x.csv} names the file of a single run; repeated runs get {@code x-1.csv}, ... */
    static Path samplesFile(RunOptions options, int run) {
        Path path = options.samplesOut();
        if (path == null || options.repeat() == 1) {
            return path;
        }
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String numbered = dot > 0 ? name.substring(0, dot) + "-" + run + name.substring(dot) : name + "-" + run;
        return path.resolveSibling(numbered);
    }

    private static RunReport executeOnce(RunOptions options, boolean ioUring, Path samplesFile) throws IOException {
        RunSchedule schedule = new RunSchedule(options.sessions(), options.rampUpSecs(),
                options.sessionStartSpreadMs(), options.warmupSecs(), options.measureSecs(),
                options.sessionGraceSecs());
        LoopTimeouts timeouts = new LoopTimeouts(
                TimeUnit.MILLISECONDS.toNanos(options.connectTimeoutMs()),
                TimeUnit.MILLISECONDS.toNanos(options.sendTimeoutMs()),
                TimeUnit.MILLISECONDS.toNanos(options.closeGraceMs()));
        int threads = Math.min(options.threads(), options.sessions());
        List<List<Integer>> shares = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            shares.add(new ArrayList<>());
        }
        for (int id = 0; id < options.sessions(); id++) {
            shares.get(id % threads).add(id);
        }

        long cpuBefore = processCpuNanos();
        long runStart = System.nanoTime();
        List<ClientLoop> loops = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            loops.add(new ClientLoop(options.target(), schedule, timeouts, runStart, shares.get(t),
                    samplesFile != null, options.rtPriority(), ioUring, options.sendBufferBytes(),
                    System.nanoTime() ^ ((long) t << 48)));
        }
        ConcurrentLinkedQueue<Throwable> crashes = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(loops.get(t), "loadgen-loop-" + t);
            worker.setUncaughtExceptionHandler((thread, e) -> crashes.add(e));
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            joinUninterruptibly(worker);
        }
        double cpuSeconds = (processCpuNanos() - cpuBefore) / 1e9;
        if (!crashes.isEmpty()) {
            throw new IllegalStateException("a client loop crashed", crashes.peek());
        }

        RunStats total = new RunStats();
        double maxBusyRatio = 0;
        for (ClientLoop loop : loops) {
            RunStats stats = loop.stats();
            maxBusyRatio = Math.max(maxBusyRatio, (double) stats.busyNanos / stats.windowNanos);
            total.merge(stats);
        }
        total.samples.sort(Comparator.comparingLong(sample -> sample.receivedMicros()));
        if (samplesFile != null) {
            SamplesCsv.write(samplesFile, total.samples);
        }
        return RunReport.of(total, threads, ioUring, cpuSeconds, maxBusyRatio);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The figures of one run, reduced from the merged stats. */
    record RunReport(RunStats stats, Percentiles newest, Percentiles oldest, Percentiles flush,
                     Percentiles sendLag, int threads, boolean ioUring, double cpuSeconds, double busyRatio,
                     boolean clientBound, SloGates.Result slo) {

        static RunReport of(RunStats stats, int threads, boolean ioUring, double cpuSeconds, double busyRatio) {
            Percentiles newest = Percentiles.of(stats.newestLatency);
            Percentiles oldest = Percentiles.of(stats.oldestLatency);
            Percentiles sendLag = Percentiles.of(stats.sendLag);
            boolean clientBound = sendLag.p99Ms() > CLIENT_BOUND_SEND_LAG_P99_MS || busyRatio > CLIENT_BOUND_BUSY_RATIO;
            SloGates.Result slo = SloGates.evaluate(newest, oldest, stats.errors(), stats.partials, clientBound);
            return new RunReport(stats, newest, oldest, Percentiles.of(stats.flushLateness), sendLag, threads,
                    ioUring, cpuSeconds, busyRatio, clientBound, slo);
        }

        Map<String, Object> summary(RunOptions options, Path samplesFile, int run) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("url", options.url());
            if (options.serviceName() != null) {
                json.put("service_name", options.serviceName());
            }
            if (samplesFile != null) {
                json.put("samples_file", samplesFile.toString());
            }
            json.put("sessions", options.sessions());
            json.put("repeat", options.repeat());
            json.put("run", run);
            json.put("warmup_secs", options.warmupSecs());
            json.put("measure_secs", options.measureSecs());
            json.put("ramp_up_secs", options.rampUpSecs());
            json.put("session_start_spread_ms", options.sessionStartSpreadMs());
            json.put("partials", stats.partials);
            json.put("protocol_errors", stats.protocolErrors);
            json.put("inference_errors", stats.inferenceErrors);
            json.put("inference_error_counts", stats.inferenceErrorCountList());
            json.put("inference_error_samples", stats.inferenceErrorSamples);
            Map<String, Object> timeouts = new LinkedHashMap<>();
            timeouts.put("connect", stats.connectTimeouts);
            timeouts.put("send", stats.sendTimeouts);
            timeouts.put("close", stats.closeTimeouts);
            timeouts.put("session", stats.sessionTimeouts);
            json.put("timeouts", timeouts);
            json.put("newest_frame_to_partial_latency", newest.toJson());
            json.put("oldest_frame_to_partial_latency", oldest.toJson());
            json.put("flush_lateness", flush.toJson());
            json.put("send_lag", sendLag.toJson());
            json.put("frames_sent", stats.framesSent);
            json.put("sessions_connected", stats.sessionsConnected);
            json.put("protocol_error_samples", stats.protocolErrorSamples);
            Map<String, Object> client = new LinkedHashMap<>();
            client.put("threads", threads);
            client.put("rt_priority", options.rtPriority());
            client.put("send_path", ioUring ? "io_uring" : "write");
            client.put("sends_held_back", stats.sendsHeldBack);
            client.put("cpu_seconds", round3(cpuSeconds));
            client.put("busy_ratio", round3(busyRatio));
            client.put("loop_cpu_us_per_frame", stats.framesSent == 0 ? 0 : round3(stats.loopCpuNanos / 1e3 / stats.framesSent));
            json.put("client", client);
            json.put("client_bound", clientBound);
            Map<String, Object> sloJson = new LinkedHashMap<>();
            sloJson.put("verdict", slo.verdict().name());
            sloJson.put("failed_gates", slo.failedGates());
            json.put("slo", sloJson);
            return json;
        }

        /** {@code 4000 PASS ok | partials=… err=… newest 150/210 oldest 1130/1190 flush_p95=… send_lag_p99=… client_cpu=…}. */
        String verdictLine(int sessions) {
            List<String> reasons = new ArrayList<>();
            if (clientBound) {
                reasons.add("client_bound");
            }
            reasons.addAll(slo.failedGates());
            String why = slo.verdict() == Verdict.PASS ? "ok" : String.join(";", reasons);
            return String.format(Locale.ROOT,
                    "%d %s %s | partials=%d err=%d newest %.0f/%.0f oldest %.0f/%.0f flush_p95=%.2f"
                            + " send_lag_p99=%.2f client_cpu=%.1fs busy=%.2f",
                    sessions, slo.verdict(), why, stats.partials, stats.errors(), newest.p50Ms(), newest.p95Ms(),
                    oldest.p50Ms(), oldest.p95Ms(), flush.p95Ms(), sendLag.p99Ms(), cpuSeconds, busyRatio);
        }

        private static BigDecimal round3(double value) {
            return BigDecimal.valueOf(Math.round(value * 1000), 3);
        }
    }
}
