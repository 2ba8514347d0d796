package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes a synthetic point directory as bench.sh would. The measured window is [10 000, 20 000] ms;
 * the gateway uses {@code gatewayTicksPerSecond} CPU ticks (100 Hz) and receives
 * {@code sessions * 50} frames per second; samples outside the window use wildly different rates so
 * that a figure which leaks them shows.
 */
final class PointFixture {
    static final long WINDOW_START_MS = 10_000;
    static final long WINDOW_END_MS = 20_000;

    int sessions = 100;
    double newestP50 = 120;
    double newestP95 = 250;
    double oldestP50 = 700;
    double oldestP95 = 1100;
    String verdict = "PASS";
    String failedGates = "";
    boolean clientBound;
    long gatewayTicksPerSecond = 50;
    boolean gatewayFrameCounter = true;
    String cpuLimit = "0.5";
    boolean cgroupStat = true;
    String nice = "";
    String rtPriority = "0";
    /** Lines appended to run.env, e.g. a POD=1 run's pod_* keys. */
    String extraEnv = "";

    Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("summary.json"), summaryJson());
        Files.writeString(dir.resolve("run.env"), String.join("\n",
                "label=fixture", "sessions=" + sessions, "warmup_secs=2", "measure_secs=10", "ramp_up_secs=1",
                "session_start_spread_ms=500", "cpu_model=Test CPU", "cores=2", "kernel=Linux 6.1", "os=Debian",
                "mem_total_kb=4194304", "jdk=openjdk version \"25\"", "loadavg_start=0.1 0.2 0.3",
                "gateway=gateway-nio", "gateway_url=ws://127.0.0.1:1/ws/stt", "gateway_cpus=0", "inference_cpus=0",
                "loadgen_cpus=1", "gateway_cpu_limit=" + cpuLimit, "cgroup=v1 /sys/fs/cgroup/cpu/x",
                "gateway_java_opts=-XX:+UseSerialGC", "sim_java_opts=", "loadgen_java_opts=",
                "gateway_frames_metric=frames_in", "clk_tck=100", "nice=" + nice, "loadgen_rt_priority=" + rtPriority,
                "window_start_ms=" + WINDOW_START_MS, "window_end_ms=" + WINDOW_END_MS, "loadavg_end=1 1 1", "")
                + extraEnv);
        StringBuilder proc = new StringBuilder("epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct\n");
        StringBuilder metrics = new StringBuilder("epoch_ms,value\n");
        long gatewayTicks = 0;
        long loadgenTicks = 0;
        long frames = 0;
        for (long t = 8_000; t <= 22_000; t += 1_000) {
            boolean inWindow = t > WINDOW_START_MS && t <= WINDOW_END_MS;
            long tickStep = t == 8_000 ? 0 : inWindow ? gatewayTicksPerSecond : 95;
            long frameStep = t == 8_000 ? 0 : inWindow ? sessions * 50L : 7;
            gatewayTicks += tickStep;
            loadgenTicks += t == 8_000 ? 0 : 20;
            frames += frameStep;
            String pct = t == 8_000 ? "" : String.format(Locale.ROOT, "%.1f", (double) tickStep);
            proc.append(t).append(",gateway,11,").append(100_000 + t).append(",9,").append(sessions + 20).append(',')
                    .append(gatewayTicks).append(',').append(pct).append('\n');
            proc.append(t).append(",inference-sim,10,80000,20,30,").append(t / 100).append(',')
                    .append(t == 8_000 ? "" : "10.0").append('\n');
            proc.append(t).append(",loadgen,12,60000,4,").append(sessions + 10).append(',').append(loadgenTicks)
                    .append(',').append(t == 8_000 ? "" : "20.0").append('\n');
            metrics.append(t).append(',').append(frames).append('\n');
        }
        Files.writeString(dir.resolve("proc.csv"), proc);
        if (gatewayFrameCounter) {
            Files.writeString(dir.resolve("gateway-metrics.csv"), metrics);
        }
        if (cgroupStat) {
            Files.writeString(dir.resolve("cgroup-cpu.stat"),
                    "nr_periods 100\nnr_throttled 12\nthrottled_time 340000000\n");
        }
        return dir;
    }

    private String summaryJson() {
        return """
                {"url":"ws://127.0.0.1:1/ws/stt","service_name":"fixture","samples_file":"samples.csv",
                 "sessions":%d,"repeat":1,"warmup_secs":2,"measure_secs":10,"ramp_up_secs":1,
                 "session_start_spread_ms":500,"partials":%d,"protocol_errors":0,"inference_errors":1,
                 "inference_error_counts":[{"stage":"inference_request","kind":"timeout","count":1}],"inference_error_samples":[],
                 "timeouts":{"connect":0,"send":0,"close":2,"session":0},
                 "newest_frame_to_partial_latency":{"p50_ms":%s,"p95_ms":%s,"p99_ms":300.5,"p999_ms":400,"max_ms":500},
                 "oldest_frame_to_partial_latency":{"p50_ms":%s,"p95_ms":%s,"p99_ms":1300,"p999_ms":1400,"max_ms":1500},
                 "flush_lateness":{"p50_ms":0.1,"p95_ms":0.5,"p99_ms":1,"p999_ms":2,"max_ms":3},
                 "send_lag":{"p50_ms":0.05,"p95_ms":0.2,"p99_ms":0.8,"p999_ms":1.5,"max_ms":4.25},
                 "frames_sent":%d,"sessions_connected":%d,
                 "client":{"threads":2,"cpu_seconds":3.5},"client_bound":%s,
                 "slo":{"verdict":"%s","failed_gates":[%s]}}
                """.formatted(sessions, sessions * 10, newestP50, newestP95, oldestP50, oldestP95, sessions * 650L,
                sessions, clientBound, verdict, failedGates);
    }
}
