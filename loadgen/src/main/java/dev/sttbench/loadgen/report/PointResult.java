package dev.sttbench.loadgen.report;

import java.nio.file.Path;
import java.util.Map;

/**
 * One benchmark point's directory, read and reduced to the figures its report states: the summary,
 * the /proc samples of every process bench.sh started, and the gateway's CPU cost per audio frame over
 * the measured window (its utime+stime delta divided by the frames it received meanwhile).
 */
public final class PointResult {
    public static final String GATEWAY = "gateway";
    public static final String LOADGEN = "loadgen";
    public static final String INFERENCE_SIM = "inference-sim";
    /** Every session sends one 20 ms frame 50 times a second. */
    public static final double FRAMES_PER_SECOND_PER_SESSION = 50;
    private static final double MICROS_PER_SECOND = 1e6;
    private static final long DEFAULT_CLOCK_TICKS = 100;

    /**
     * The gateway's CPU over a span of the measured window and the frames it received in it;
     * {@code framesMeasured} false means frames were estimated as sessions × 50/s (no frame counter).
     */
    public record GatewayCost(double cpuSeconds, long elapsedMs, double frames, boolean framesMeasured) {
        public double microsPerFrame() {
            return cpuSeconds * MICROS_PER_SECOND / frames;
        }

        /** Sessions one fully busy vCPU could carry at this cost: an upper bound, since nothing else is free. */
        public double projectedSessionsPerVcpu() {
            return MICROS_PER_SECOND / (microsPerFrame() * FRAMES_PER_SECOND_PER_SESSION);
        }
    }

    private final Path dir;
    private final Summary summary;
    private final RunEnv env;
    private final Map<String, ProcSeries> proc;
    private final CounterSeries gatewayFrames;
    private final CgroupCpuStat cgroup;

    private PointResult(Path dir, Summary summary, RunEnv env, Map<String, ProcSeries> proc,
                        CounterSeries gatewayFrames, CgroupCpuStat cgroup) {
        this.dir = dir;
        this.summary = summary;
        this.env = env;
        this.proc = proc;
        this.gatewayFrames = gatewayFrames;
        this.cgroup = cgroup;
    }

    public static PointResult read(Path dir) {
        return new PointResult(dir,
                Summary.read(dir.resolve(Summary.FILE_NAME)),
                RunEnv.read(dir.resolve(RunEnv.FILE_NAME)),
                ProcSeries.read(dir.resolve(ProcSeries.FILE_NAME)),
                CounterSeries.read(dir.resolve(CounterSeries.FILE_NAME)),
                CgroupCpuStat.readIfPresent(dir.resolve(CgroupCpuStat.FILE_NAME)));
    }

    public Path dir() {
        return dir;
    }

    public Summary summary() {
        return summary;
    }

    public RunEnv env() {
        return env;
    }

    /** The samples of {@code role} ({@link #GATEWAY}, {@link #LOADGEN}, {@link #INFERENCE_SIM}); null if unsampled. */
    public ProcSeries process(String role) {
        return proc.get(role);
    }

    /** The gateway's loop lag over the measured window; null without its two /metrics scrapes. */
    public LoopLag loopLag() {
        return LoopLag.readIfPresent(dir);
    }

    /** The gateway cgroup's CFS counters; null when it ran without a CPU limit. */
    public CgroupCpuStat cgroup() {
        return cgroup;
    }

    public long windowStartMs() {
        return env.getLong("window_start_ms", Long.MIN_VALUE);
    }

    public long windowEndMs() {
        return env.getLong("window_end_ms", Long.MAX_VALUE);
    }

    public long clockTicksPerSecond() {
        return env.getLong("clk_tck", DEFAULT_CLOCK_TICKS);
    }

    /** The gateway's CFS quota in vCPUs; NaN when unlimited. */
    public double cpuLimit() {
        return env.getDouble("gateway_cpu_limit");
    }

    /** Mean CPU % of {@code role} over the measured window (100 = one core); NaN without two samples in it. */
    public double meanCpuPct(String role) {
        ProcSeries series = proc.get(role);
        ProcSeries.Interval span = series == null ? null : series.interval(windowStartMs(), windowEndMs(), t -> true);
        return span == null ? Double.NaN : span.meanCpuPct(clockTicksPerSecond());
    }

    /** The highest one-second CPU % of {@code role} in the measured window; NaN without samples in it. */
    public double maxCpuPct(String role) {
        ProcSeries series = proc.get(role);
        ProcSeries.Interval span = series == null ? null : series.interval(windowStartMs(), windowEndMs(), t -> true);
        return span == null ? Double.NaN : series.maxCpuPct(span);
    }

    /** Peak RSS of {@code role} over the whole run, in MiB; NaN if unsampled. */
    public double peakRssMib(String role) {
        ProcSeries series = proc.get(role);
        return series == null ? Double.NaN : series.peakRssKb() / 1024.0;
    }

    /**
     * The gateway's CPU per received frame over the measured window, from the samples where both its
     * /proc ticks and its frame counter were read; null when the gateway was not sampled in the window.
     */
    public GatewayCost gatewayCost() {
        ProcSeries gateway = proc.get(GATEWAY);
        if (gateway == null) {
            return null;
        }
        ProcSeries.Interval counted = gateway.interval(windowStartMs(), windowEndMs(), gatewayFrames::has);
        if (counted != null) {
            double frames = gatewayFrames.at(counted.last().epochMs()) - gatewayFrames.at(counted.first().epochMs());
            if (frames > 0) {
                return new GatewayCost(counted.cpuSeconds(clockTicksPerSecond()), counted.elapsedMs(), frames, true);
            }
        }
        ProcSeries.Interval span = gateway.interval(windowStartMs(), windowEndMs(), t -> true);
        if (span == null) {
            return null;
        }
        double frames = summary.sessions() * FRAMES_PER_SECOND_PER_SESSION * span.elapsedMs() / 1000.0;
        return new GatewayCost(span.cpuSeconds(clockTicksPerSecond()), span.elapsedMs(), frames, false);
    }

    /** How many CPUs the load generator was pinned to (all cores when unpinned). */
    public int loadgenCpus() {
        String cpus = env.get("loadgen_cpus");
        return cpus.isEmpty() ? (int) env.getLong("cores", Runtime.getRuntime().availableProcessors()) : CpuList.count(cpus);
    }
}
