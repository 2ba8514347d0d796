package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a synthetic density run directory as scripts/density.sh would, with the loadgen's JSON in the shape of
 * {@code loadgen density --out}. The loadgen starts at 10 000 ms, is done opening at 12 000 and holding at 22 000.
 * The gateway idles at 80 000 KiB (the baseline), holds 8 KiB per connection during the hold and peaks 1 KiB per
 * connection higher while closing (23 000); it uses 2 clock ticks (100 Hz) a second during the hold and 50 outside,
 * so a figure that leaks samples from outside the hold shows.
 */
final class DensityFixture {
    static final long STARTED_MS = 10_000;
    static final long OPEN_DONE_MS = 12_000;
    static final long HOLD_DONE_MS = 22_000;
    static final long FINISHED_MS = 23_000;
    static final long BASELINE_KB = 80_000;

    int requested = 1000;
    int opened = 1000;
    int refused;
    int errorFrames;
    int frameIntervalMs;
    int loadgenExit;
    String rssBudgetMb = "";
    boolean fdCapped;
    int wanted = 1000;
    boolean limited;
    /** Streaming sessions (0: none); their summary's verdict; whether a summary and an alone run exist. */
    int streaming;
    String streamingVerdict = "PASS";
    boolean streamingSummary = true;
    boolean alone;
    String sysctlChanges = "";
    boolean gatewayDied;

    Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(DensitySummary.FILE_NAME), json());
        Files.writeString(dir.resolve(RunEnv.FILE_NAME), String.join("\n",
                "label=density", "connections=" + requested, "connections_wanted=" + wanted,
                "fd_capped=" + (fdCapped ? 1 : 0), "fd_soft_before=1024", "fd_soft=20000", "fd_hard=20000",
                "fd_margin=100", "fd_needed=" + (requested + streaming + 100), "somaxconn=4096",
                "tcp_max_syn_backlog=2048", "sysctl_changes=" + sysctlChanges,
                "sysctl_restore=" + (sysctlChanges.isEmpty() ? "" : "sysctl -w net.core.somaxconn=4096"),
                "frame_interval_ms=" + frameIntervalMs, "streaming=" + streaming, "hold_secs=10", "rate=500",
                "rss_budget_mb=" + rssBudgetMb, "gateway_heap_mb=49", "gateway_heap_source=computed: 48 MiB + 1000 × 1 KiB",
                "command=CONNECTIONS=" + wanted + " HOLD=10 scripts/density.sh", "commit=abc1234",
                "cpu_model=Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "cores=2", "clk_tck=100",
                "kernel=Linux 6.1", "os=Debian", "mem_total_kb=24684000", "jdk=openjdk version \"25\"",
                "virtualization=docker, hypervisor", "loadavg_start=0.1 0.2 0.3", "loadavg_end=1 1 1",
                "gateway_java_opts=-XX:+UseSerialGC -Xms49m -Xmx49m", "gateway_env=MAX_SESSIONS=1000",
                "gateway_cpus=0", "inference_cpus=0", "loadgen_cpus=1", "gateway_cpu_limit=0.5",
                "loadgen_args=density --url ws://127.0.0.1:1/ws/stt --connections " + requested,
                "baseline_rss_kb=" + BASELINE_KB, "idle_secs=2", "loadgen_exit=" + loadgenExit, "streaming_exit=0",
                "gateway_alive_at_end=" + (gatewayDied ? 0 : 1), "warmup_secs=10", "measure_secs=45", "ramp_up_secs=30",
                "session_start_spread_ms=1000", ""));
        StringBuilder proc = new StringBuilder("epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct\n");
        StringBuilder sessions = new StringBuilder("epoch_ms,value\n");
        long ticks = 0;
        for (long t = 9_000; t <= FINISHED_MS; t += 1_000) {
            boolean inHold = t > OPEN_DONE_MS && t <= HOLD_DONE_MS;
            long step = t == 9_000 ? 0 : inHold ? 2 : 50;
            ticks += step;
            long held = t < STARTED_MS ? 0 : t < OPEN_DONE_MS ? opened * (t - STARTED_MS) / (OPEN_DONE_MS - STARTED_MS)
                    : t <= HOLD_DONE_MS ? opened : 0;
            long rss = t == FINISHED_MS ? BASELINE_KB + 9L * opened : BASELINE_KB + 8 * held;
            proc.append(t).append(",gateway,11,").append(rss).append(",12,").append(held + 30).append(',')
                    .append(ticks).append(',').append(t == 9_000 ? "" : step + ".0").append('\n');
            proc.append(t).append(",inference-sim,10,70000,20,30,").append(t / 100).append(",1.0\n");
            proc.append(t).append(",loadgen,12,90000,6,").append(held + 20).append(',').append(t / 50).append(",2.0\n");
            sessions.append(t).append(',').append(held).append('\n');
        }
        Files.writeString(dir.resolve(ProcSeries.FILE_NAME), proc);
        Files.writeString(dir.resolve(DensityRun.SESSIONS_FILE), sessions);
        Files.writeString(dir.resolve(LoopLag.START_FILE), scrape(0, 0, 0));
        Files.writeString(dir.resolve(LoopLag.END_FILE), scrape(90, 9, 1));
        if (streaming > 0 && streamingSummary) {
            streamingPoint(dir.resolve(DensityRun.STREAMING_DIR), streamingVerdict);
        }
        if (streaming > 0 && alone) {
            streamingPoint(dir.resolve(DensityRun.ALONE_DIR), "PASS");
        }
        return dir;
    }

    private void streamingPoint(Path dir, String verdict) throws IOException {
        PointFixture point = new PointFixture();
        point.sessions = streaming;
        point.verdict = verdict;
        point.failedGates = verdict.equals("PASS") ? "" : "\"newest_p95\"";
        point.write(dir);
    }

    /** Loop-lag histograms with {@code fast} timers ≤ 1 µs, {@code slow} ≤ 8 µs, {@code late} beyond. */
    private static String scrape(long fast, long slow, long late) {
        StringBuilder out = new StringBuilder();
        for (String name : new String[] {LoopLag.TIMER_LATENESS, LoopLag.CYCLE}) {
            out.append(name).append("_bucket{le=\"1\"} ").append(fast).append('\n');
            out.append(name).append("_bucket{le=\"8\"} ").append(fast + slow).append('\n');
            out.append(name).append("_bucket{le=\"+Inf\"} ").append(fast + slow + late).append('\n');
        }
        out.append(LoopLag.TIMER_LATENESS).append("_quantile{quantile=\"1\"} 1234\n");
        return out.toString();
    }

    private String json() {
        int failures = refused;
        return """
                {"command":"density","url":"ws://127.0.0.1:1/ws/stt","connections_requested":%d,"frame_interval_ms":%d,
                 "hold_seconds":10,"processes":1,"source_addresses":["127.0.0.1","127.0.0.2"],
                 "open":{"opened":%d,"seconds":2.0,"rate_per_s":%s,"requested_rate_per_s":500},
                 "failures":{"refused":%d,"timeout":0,"reset":0,"http_503":0,"http_other":0,"protocol":0,"local_address":0,
                             "closed_by_server":0,"dead":0,"unanswered_frames":0,"close_timeout":0},
                 "failures_total":%d,
                 "liveness":{"checked":%d,"alive":%d,"pong_p50_ms":0.4,"pong_p99_ms":2.5,"pong_max_ms":7.25},
                 "frames":{"sent":0,"partials":0,"error_frames":%d,"answered":0},
                 "loadgen":{"cpu_seconds":1.5,"open_cpu_pct":40.0,"hold_cpu_pct":1.0,"peak_rss_kb":92160,"limited":%s,
                            "limited_reason":"%s"},
                 "started_epoch_ms":%d,"open_done_epoch_ms":%d,"hold_done_epoch_ms":%d,"finished_epoch_ms":%d}
                """.formatted(requested, frameIntervalMs, opened, opened / 2.0, refused, failures, opened, opened,
                errorFrames, limited, limited ? "CPU saturated while opening" : "", STARTED_MS, OPEN_DONE_MS,
                HOLD_DONE_MS, FINISHED_MS);
    }
}
