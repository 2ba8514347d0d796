package dev.sttbench.loadgen.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * One density run's directory as scripts/density.sh writes it, reduced to the figures its report and gate
 * state: the loadgen's {@value DensitySummary#FILE_NAME}, {@code run.env}, {@code proc.csv}, the gateway's
 * session gauge each second ({@value #SESSIONS_FILE}), its /metrics at the hold's start and end (loop lag),
 * and, with streaming sessions, {@code streaming/summary.json} and optionally {@code alone/summary.json}
 * (the same sessions without the idle connections).
 *
 * <p>Memory per connection is (gateway RSS − its baseline) / connections opened, the baseline being its RSS
 * once healthy and idle for a moment (run.env {@code baseline_rss_kb}). The hold is the loadgen's
 * [{@code open_done_epoch_ms}, {@code hold_done_epoch_ms}].
 */
public final class DensityRun {
    public static final String SESSIONS_FILE = "gateway-sessions.csv";
    public static final String STREAMING_DIR = "streaming";
    public static final String ALONE_DIR = "alone";
    private static final double KIB_PER_MIB = 1024;
    private static final double MICROS_PER_SECOND = 1e6;
    private static final long DEFAULT_CLOCK_TICKS = 100;

    private final Path dir;
    private final RunEnv env;
    private final DensitySummary loadgen;
    private final Map<String, ProcSeries> proc;
    private final CounterSeries sessions;
    private final Summary streaming;
    private final Summary alone;

    private DensityRun(Path dir, RunEnv env, DensitySummary loadgen, Map<String, ProcSeries> proc,
                          CounterSeries sessions, Summary streaming, Summary alone) {
        this.dir = dir;
        this.env = env;
        this.loadgen = loadgen;
        this.proc = proc;
        this.sessions = sessions;
        this.streaming = streaming;
        this.alone = alone;
    }

    public static DensityRun read(Path dir) {
        return new DensityRun(dir,
                RunEnv.read(dir.resolve(RunEnv.FILE_NAME)),
                DensitySummary.read(dir.resolve(DensitySummary.FILE_NAME)),
                ProcSeries.read(dir.resolve(ProcSeries.FILE_NAME)),
                CounterSeries.read(dir.resolve(SESSIONS_FILE)),
                summaryIfPresent(dir.resolve(STREAMING_DIR).resolve(Summary.FILE_NAME)),
                summaryIfPresent(dir.resolve(ALONE_DIR).resolve(Summary.FILE_NAME)));
    }

    private static Summary summaryIfPresent(Path file) {
        return Files.isRegularFile(file) ? Summary.read(file) : null;
    }

    public Path dir() {
        return dir;
    }

    public RunEnv env() {
        return env;
    }

    public DensitySummary loadgen() {
        return loadgen;
    }

    /** The samples of {@code role} ({@link PointResult#GATEWAY}, {@link PointResult#LOADGEN}, ...); null if unsampled. */
    public ProcSeries process(String role) {
        return proc.get(role);
    }

    /** The gateway's session gauge over time (stamped like its proc.csv rows). */
    public CounterSeries sessions() {
        return sessions;
    }

    /** The streaming sessions' summary when STREAMING was set; null otherwise. */
    public Summary streaming() {
        return streaming;
    }

    /** The streaming sessions run alone (ALONE=1); null otherwise. */
    public Summary alone() {
        return alone;
    }

    /** Streaming sessions asked for (run.env {@code streaming}); 0 for a pure density run. */
    public long streamingSessions() {
        return env.getLong("streaming", 0);
    }

    /** The connections the user asked for: more than the loadgen was asked for when the fd limit capped the run. */
    public long connectionsWanted() {
        return env.getLong("connections_wanted", loadgen.connectionsRequested());
    }

    public boolean fdCapped() {
        return env.getLong("fd_capped", 0) == 1;
    }

    /** RSS_BUDGET_MB in MiB; NaN when no budget was set. */
    public double rssBudgetMib() {
        return env.getDouble("rss_budget_mb");
    }

    public long clockTicksPerSecond() {
        return env.getLong("clk_tck", DEFAULT_CLOCK_TICKS);
    }

    private ProcSeries gateway() {
        ProcSeries gateway = proc.get(PointResult.GATEWAY);
        if (gateway == null || gateway.samples().isEmpty()) {
            throw new IllegalArgumentException(dir.resolve(ProcSeries.FILE_NAME) + ": no gateway samples");
        }
        return gateway;
    }

    /** The gateway's RSS once healthy and idle, before any connection; its first sample when not recorded. */
    public long baselineRssKb() {
        return env.getLong("baseline_rss_kb", gateway().samples().getFirst().rssKb());
    }

    /** The gateway's highest RSS over the whole run (open, hold, close). */
    public long peakRssKb() {
        return Math.max(gateway().peakRssKb(), baselineRssKb());
    }

    /** The gateway's RSS at its last sample within the hold (its last before the hold ended otherwise). */
    public long endOfHoldRssKb() {
        ProcSeries.Sample last = null;
        for (ProcSeries.Sample s : gateway().samples()) {
            if (s.epochMs() <= loadgen.holdDoneEpochMs()) {
                last = s;
            }
        }
        return last == null ? baselineRssKb() : last.rssKb();
    }

    /** (peak RSS − baseline) / connections opened, KiB; NaN when none opened. */
    public double kibPerConnectionAtPeak() {
        return perConnection(peakRssKb());
    }

    /** (RSS at the end of the hold − baseline) / connections opened, KiB; NaN when none opened. */
    public double kibPerConnectionAtEndOfHold() {
        return perConnection(endOfHoldRssKb());
    }

    private double perConnection(long rssKb) {
        long opened = loadgen.opened();
        return opened == 0 ? Double.NaN : (double) (rssKb - baselineRssKb()) / opened;
    }

    public static double mib(long kb) {
        return kb / KIB_PER_MIB;
    }

    /** The gateway's samples spanning the hold; null without two of them in it. */
    public ProcSeries.Interval hold() {
        return gateway().interval(loadgen.openDoneEpochMs(), loadgen.holdDoneEpochMs(), t -> true);
    }

    /** The gateway's mean CPU over the hold, % of one core; NaN without two samples in it. */
    public double holdCpuPct() {
        ProcSeries.Interval hold = hold();
        return hold == null ? Double.NaN : hold.meanCpuPct(clockTicksPerSecond());
    }

    /** The gateway's highest one-second CPU in the hold; NaN without samples in it. */
    public double holdMaxCpuPct() {
        ProcSeries.Interval hold = hold();
        return hold == null ? Double.NaN : gateway().maxCpuPct(hold);
    }

    /** Gateway CPU per held connection per second of the hold, µs; NaN without a hold span or connections. */
    public double microsPerConnectionSecond() {
        ProcSeries.Interval hold = hold();
        long opened = loadgen.opened();
        if (hold == null || opened == 0 || hold.elapsedMs() == 0) {
            return Double.NaN;
        }
        return hold.cpuSeconds(clockTicksPerSecond()) * MICROS_PER_SECOND / (opened * (hold.elapsedMs() / 1000.0));
    }

    /** The highest session count the gateway reported; -1 when its gauge was never read. */
    public long peakGatewaySessions() {
        long peak = -1;
        for (ProcSeries.Sample s : gateway().samples()) {
            if (sessions.has(s.epochMs())) {
                peak = Math.max(peak, (long) sessions.at(s.epochMs()));
            }
        }
        return peak;
    }

    /** The gateway's loop lag between the two /metrics scrapes of the hold; null without them. */
    public LoopLag loopLag() {
        return LoopLag.readIfPresent(dir);
    }

    /** The gateway cgroup's CFS counters; null when it ran without a CPU limit. */
    public CgroupCpuStat cgroup() {
        return CgroupCpuStat.readIfPresent(dir.resolve(CgroupCpuStat.FILE_NAME));
    }
}
