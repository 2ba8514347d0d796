package dev.sttbench.loadgen.report;

import static dev.sttbench.loadgen.report.MarkdownTable.number;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.function.Function;

/**
 * The {@code report.md} of one density run, its one-line verdict, and its row of the running table
 * {@code results/density.md} (appended, never rewritten).
 */
public final class DensityReport {
    public static final String FILE_NAME = "report.md";
    static final String TABLE_HEADER = """
            # Density runs (`make density`)

            One row per run of scripts/density.sh, appended by it (rows are never rewritten). KiB/conn = (peak gateway \
            RSS − its idle baseline) / connections opened; hold CPU = the gateway's mean CPU over the hold, % of one core. \
            Each run's report.md has the rest.

            | date (UTC) | commit | host | N | F ms | M | opened | baseline MiB | peak MiB | KiB/conn | open conn/s | hold CPU % | verdict |
            |---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
            """;
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
    /** Mean CPU above this share of the loadgen's pinned CPUs during open or hold: it may have been the limit. */
    private static final double CLIENT_CPU_SATURATION = 0.9;

    private DensityReport() {
    }

    public static String render(DensityRun run, DensityVerdict verdict) {
        DensitySummary lg = run.loadgen();
        RunEnv env = run.env();
        StringBuilder md = new StringBuilder();
        md.append("# Density, ").append(lg.connectionsRequested()).append(' ').append(mode(run)).append(": ")
                .append(verdict.word()).append("\n\n");
        md.append(verdictSentence(run, verdict)).append("\n\n");
        if (run.fdCapped()) {
            md.append("**The file-descriptor limit, not the gateway, capped this run**: ").append(fdCapSentence(run))
                    .append("\n\n");
        }

        md.append("## Setup\n\n");
        MarkdownTable setup = new MarkdownTable("", "");
        setup.row("machine", env.get("cores") + " cores, " + env.get("cpu_model") + ", "
                + number(env.getLong("mem_total_kb", 0) / 1048576.0, 1) + " GiB RAM, virtualization: "
                + orNone(env.get("virtualization")));
        setup.row("kernel, OS", env.get("kernel") + ", " + env.get("os"));
        setup.row("JDK", env.get("jdk"));
        setup.row("fd limit (per process)", "soft " + env.get("fd_soft") + " (was " + env.get("fd_soft_before")
                + "), hard " + env.get("fd_hard") + "; the gateway needs ≈ " + env.get("fd_needed")
                + " (connections + " + env.get("fd_margin") + ")");
        setup.row("kernel limits", "net.core.somaxconn " + env.get("somaxconn") + ", net.ipv4.tcp_max_syn_backlog "
                + env.get("tcp_max_syn_backlog") + (env.has("sysctl_changes")
                ? "; **changed by this run**: " + env.get("sysctl_changes") + " (restore: `" + env.get("sysctl_restore") + "`)"
                : " (unchanged)"));
        setup.row("command", "`" + env.get("command") + "`");
        setup.row("loadgen", "`" + env.get("loadgen_args") + "`; " + lg.processes() + " process(es), source addresses "
                + String.join(", ", lg.sourceAddresses()));
        setup.row("gateway heap", env.get("gateway_heap_mb") + " MiB (" + env.get("gateway_heap_source") + ")");
        setup.row("gateway", "`" + env.get("gateway_java_opts") + "`, " + env.get("gateway_env"));
        setup.row("pinning (taskset)", "gateway " + CpuList.describe(env.get("gateway_cpus")) + ", inference-sim "
                + CpuList.describe(env.get("inference_cpus")) + ", loadgen " + CpuList.describe(env.get("loadgen_cpus")));
        setup.row("gateway CPU limit", cpuLimit(run));
        setup.row("load average (1/5/15 min)", "start " + env.get("loadavg_start") + ", end " + env.get("loadavg_end"));
        md.append(setup.render()).append('\n');

        md.append("## Connections\n\n");
        MarkdownTable conns = new MarkdownTable("", ">value");
        conns.row("requested / opened", lg.connectionsRequested() + " / " + lg.opened()
                + (run.fdCapped() ? " (" + run.connectionsWanted() + " wanted: capped by the fd limit)" : ""));
        long peakSessions = run.peakGatewaySessions();
        conns.row("the gateway's sessions gauge, peak", peakSessions < 0 ? "not read" : String.valueOf(peakSessions));
        conns.row("open phase", number(lg.openSeconds(), 2) + " s, **" + number(lg.openRatePerSecond(), 0)
                + " conn/s** (requested " + number(lg.requestedRatePerSecond(), 0) + "/s)");
        conns.row("hold", lg.holdSeconds() + " s, " + (lg.frameIntervalMs() > 0
                ? "one audio frame every " + lg.frameIntervalMs() + " ms per connection" : "every connection silent")
                + (run.streamingSessions() > 0 ? ", beside " + run.streamingSessions() + " streaming sessions" : ""));
        DensitySummary.Liveness live = lg.liveness();
        conns.row("final ping: alive / checked", live.alive() + " / " + live.checked() + ", pong p50 / p99 / max "
                + number(live.pongP50Ms(), 1) + " / " + number(live.pongP99Ms(), 1) + " / " + number(live.pongMaxMs(), 1) + " ms");
        if (lg.frameIntervalMs() > 0) {
            DensitySummary.Frames f = lg.frames();
            conns.row("frames sent / answered, partials, error frames", f.sent() + " / " + f.answered() + ", "
                    + f.partials() + ", " + f.errorFrames());
        }
        md.append(conns.render()).append('\n');

        md.append("## Gateway memory\n\n");
        md.append(memorySection(run)).append('\n');

        md.append("## Gateway CPU and loop lag during the hold\n\n");
        md.append(cpuSection(run)).append('\n');

        md.append("## Load generator\n\n");
        md.append(clientSection(run)).append('\n');

        md.append("## Failures by cause\n\n");
        MarkdownTable failures = new MarkdownTable("cause", ">count");
        lg.failures().forEach(failures::row);
        failures.row("**total**", lg.failuresTotal());
        md.append(failures.render()).append('\n');

        if (run.streamingSessions() > 0) {
            md.append("## Streaming sessions (PROTOCOL.md §4 timing)\n\n");
            md.append(streamingSection(run)).append('\n');
        }

        md.append("![gateway RSS and sessions over time](").append(DensityPlot.FILE_NAME).append(")\n\n");
        md.append("RSS is VmRSS of `/proc/<pid>/status`; CPU % is utime+stime over wall time, 100 % = one core. ")
                .append("Raw data: `").append(DensitySummary.FILE_NAME).append("` (loadgen), `proc.csv` (one row per ")
                .append("process per second), `").append(DensityRun.SESSIONS_FILE)
                .append("` (the gateway's `gateway_sessions`, all loops), `run.env`.\n");
        return md.toString();
    }

    /** The line the script prints: {@code density 2000 PASS | opened ... | reasons: ...}. */
    public static String verdictLine(DensityRun run, DensityVerdict verdict) {
        DensitySummary lg = run.loadgen();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "density %d %s | opened %d/%d at %s/s | RSS baseline %s, peak %s MiB | %s KiB/conn | hold CPU %s %% | failures %d",
                lg.connectionsRequested(), verdict.word(), lg.opened(), lg.connectionsRequested(),
                number(lg.openRatePerSecond(), 0), number(DensityRun.mib(run.baselineRssKb()), 1),
                number(DensityRun.mib(run.peakRssKb()), 1), number(run.kibPerConnectionAtPeak(), 2),
                number(run.holdCpuPct(), 1), lg.failuresTotal()));
        if (run.fdCapped()) {
            line.append(" | capped by the fd limit (").append(run.connectionsWanted()).append(" wanted)");
        }
        if (!verdict.reasons().isEmpty()) {
            line.append(" | ").append(String.join("; ", verdict.reasons()));
        }
        return line.toString();
    }

    /** This run's row of {@code results/density.md}. */
    public static String tableRow(DensityRun run, DensityVerdict verdict) {
        DensitySummary lg = run.loadgen();
        String verdictCell = verdict.word() + (run.fdCapped() ? " (fd-capped, " + run.connectionsWanted() + " wanted)" : "");
        return new MarkdownTable("", "", "", "", "", "", "", "", "", "", "", "", "")
                .row(DATE.format(Instant.ofEpochMilli(lg.startedEpochMs())), run.env().get("commit"), hostShort(run.env()),
                        lg.connectionsRequested(), lg.frameIntervalMs(), run.streamingSessions(), lg.opened(),
                        number(DensityRun.mib(run.baselineRssKb()), 1), number(DensityRun.mib(run.peakRssKb()), 1),
                        number(run.kibPerConnectionAtPeak(), 2), number(lg.openRatePerSecond(), 0),
                        number(run.holdCpuPct(), 1), verdictCell)
                .render().lines().skip(2).findFirst().orElseThrow() + "\n";
    }

    /** Appends this run's row to {@code table}, writing the header first when the file does not exist yet. */
    public static void appendRow(Path table, DensityRun run, DensityVerdict verdict) throws IOException {
        if (table.getParent() != null) {
            Files.createDirectories(table.getParent());
        }
        if (!Files.exists(table)) {
            Files.writeString(table, TABLE_HEADER, StandardOpenOption.CREATE_NEW);
        }
        Files.writeString(table, tableRow(run, verdict), StandardOpenOption.APPEND);
    }

    /** "2c AMD EPYC 24G docker": cores, CPU model without trademarks and clock, RAM, virtualization. */
    static String hostShort(RunEnv env) {
        String cpu = env.get("cpu_model").replaceAll("\\((R|TM|tm|r)\\)", "").replaceAll("\\s*@.*$", "")
                .replaceAll("\\s+CPU\\b", "").replaceAll("\\s+\\d+-Core Processor", "").replaceAll("\\s+", " ").trim();
        String virt = env.get("virtualization");
        return env.get("cores") + "c " + cpu + " " + Math.round(env.getLong("mem_total_kb", 0) / 1048576.0) + "G"
                + (virt.isEmpty() || virt.equals("none") ? "" : " " + virt.replace(", ", "+"));
    }

    private static String mode(DensityRun run) {
        long f = run.loadgen().frameIntervalMs();
        String held = f > 0 ? "connections (a frame every " + f + " ms)" : "idle connections";
        return run.streamingSessions() > 0 ? held + " + " + run.streamingSessions() + " streaming" : held;
    }

    private static String verdictSentence(DensityRun run, DensityVerdict verdict) {
        DensitySummary lg = run.loadgen();
        String held = "The gateway held **" + lg.opened() + " of " + lg.connectionsRequested() + "** connections at **"
                + number(run.kibPerConnectionAtPeak(), 2) + " KiB per connection** (peak RSS − baseline) / opened, "
                + "opened at " + number(lg.openRatePerSecond(), 0) + " conn/s.";
        return switch (verdict.exitCode()) {
            case DensityVerdict.PASS -> held + " No session error" + (Double.isFinite(run.rssBudgetMib())
                    ? ", peak RSS within the budget of " + number(run.rssBudgetMib(), 0) + " MiB." : ".")
                    + " Exit 0.";
            case DensityVerdict.OVER_BUDGET -> held + " **Over budget** (exit 2): " + String.join("; ", verdict.budgetErrors()) + ".";
            default -> held + " **Session errors** (exit 3): " + String.join("; ", verdict.sessionErrors()) + "."
                    + (verdict.budgetErrors().isEmpty() ? ""
                    : " Also over budget (" + String.join("; ", verdict.budgetErrors())
                    + "): session errors take precedence, since a budget is only meaningful for a run that held every connection.");
        };
    }

    private static String fdCapSentence(DensityRun run) {
        RunEnv env = run.env();
        return run.connectionsWanted() + " connections were wanted, but the gateway, one process, may open at most "
                + env.get("fd_hard") + " file descriptors (hard limit) and needs about " + env.get("fd_margin")
                + " for itself" + (run.streamingSessions() > 0 ? " and " + run.streamingSessions() + " for the streaming sessions" : "")
                + ", so ALLOW_FD_CAP=1 ran " + run.loadgen().connectionsRequested()
                + ". Raise the hard limit (`ulimit -Hn`, limits.conf, or the container's `--ulimit nofile=`) to measure more.";
    }

    private static String memorySection(DensityRun run) {
        DensitySummary lg = run.loadgen();
        ProcSeries gateway = run.process(PointResult.GATEWAY);
        MarkdownTable t = new MarkdownTable("", ">value");
        t.row("baseline RSS (healthy, idle " + orDefault(run.env().get("idle_secs"), "2") + " s, no connection)",
                number(DensityRun.mib(run.baselineRssKb()), 1) + " MiB");
        t.row("peak RSS (whole run)", number(DensityRun.mib(run.peakRssKb()), 1) + " MiB");
        t.row("RSS at the end of the hold", number(DensityRun.mib(run.endOfHoldRssKb()), 1) + " MiB");
        t.row("peak − baseline", number(DensityRun.mib(run.peakRssKb() - run.baselineRssKb()), 1) + " MiB");
        t.row("**KiB per connection** (peak − baseline) / " + lg.opened(), "**" + number(run.kibPerConnectionAtPeak(), 2) + "**");
        t.row("KiB per connection at the end of the hold", number(run.kibPerConnectionAtEndOfHold(), 2));
        double budget = run.rssBudgetMib();
        t.row("RSS budget (RSS_BUDGET_MB, MiB)", !Double.isFinite(budget) ? "none set"
                : number(budget, 0) + (DensityRun.mib(run.peakRssKb()) > budget ? ": **exceeded**" : ": held"));
        if (gateway != null) {
            t.row("peak threads / open fds", gateway.peakThreads() + " / " + gateway.peakFds());
        }
        return t.render();
    }

    private static String cpuSection(DensityRun run) {
        MarkdownTable t = new MarkdownTable("", ">value");
        t.row("CPU over the hold, mean / max (1 s)", number(run.holdCpuPct(), 1) + " % / " + number(run.holdMaxCpuPct(), 1)
                + " % of one core");
        String per = run.streamingSessions() > 0 ? "CPU per held connection per second (streaming load included)"
                : run.loadgen().frameIntervalMs() > 0 ? "CPU per connection per second (frames included)"
                : "CPU per idle connection per second";
        t.row(per, number(run.microsPerConnectionSecond(), 3) + " µs");
        LoopLag lag = run.loopLag();
        if (lag != null) {
            t.row("loop: how late due timers ran, p50 / p99 (hold) / max (since start)", "≤ "
                    + lag.timerLatenessP50Micros() + " / ≤ " + lag.timerLatenessP99Micros() + " / "
                    + lag.timerLatenessMaxMicros() + " µs over " + lag.timers() + " timers");
            t.row("loop: working duty cycle, p50 / p99 (hold)", "≤ " + lag.cycleP50Micros() + " / ≤ "
                    + lag.cycleP99Micros() + " µs");
        } else {
            t.row("loop lag", "not measured (no /metrics scrape at the hold's start and end)");
        }
        return t.render();
    }

    private static String clientSection(DensityRun run) {
        DensitySummary.Client c = run.loadgen().client();
        RunEnv env = run.env();
        int cpus = env.get("loadgen_cpus").isEmpty() ? (int) env.getLong("cores", 1) : CpuList.count(env.get("loadgen_cpus"));
        MarkdownTable t = new MarkdownTable("", ">value");
        t.row("CPU seconds (whole run)", number(c.cpuSeconds(), 2));
        t.row("CPU while opening / holding", number(c.openCpuPct(), 1) + " % / " + number(c.holdCpuPct(), 1)
                + " % (capacity " + cpus * 100 + " %)");
        ProcSeries sampled = run.process(PointResult.LOADGEN);
        t.row("peak RSS", number(DensityRun.mib(c.peakRssKb()), 1) + " MiB"
                + (sampled == null ? "" : " (sampled: " + number(DensityRun.mib(sampled.peakRssKb()), 1) + " MiB)"));
        StringBuilder out = new StringBuilder(t.render()).append('\n');
        boolean saturated = Math.max(nanToZero(c.openCpuPct()), nanToZero(c.holdCpuPct())) > CLIENT_CPU_SATURATION * cpus * 100;
        if (c.limited()) {
            out.append("**The load generator was the limit**: ").append(orDefault(c.limitedReason(), "it says so"))
                    .append(". The open rate and failures describe the client, not the gateway.\n");
        } else if (saturated) {
            out.append("The load generator did not report itself limited, but used over ")
                    .append(number(CLIENT_CPU_SATURATION * 100, 0)).append(" % of its CPU: it was close to being the limit.\n");
        } else {
            out.append("The load generator was not the limit.\n");
        }
        DensitySummary summary = run.loadgen();
        if (!c.limited() && summary.requestedRatePerSecond() > 0 && summary.openRatePerSecond() < 0.9 * summary.requestedRatePerSecond()) {
            out.append("The gateway set the open rate: its handshakes were slower than the ")
                    .append(number(summary.requestedRatePerSecond(), 0)).append("/s asked.\n");
        }
        return out.toString();
    }

    private static String streamingSection(DensityRun run) {
        Summary mixed = run.streaming();
        Summary alone = run.alone();
        if (mixed == null) {
            return "The streaming run wrote no summary (loadgen run exited " + run.env().get("streaming_exit") + ").\n";
        }
        MarkdownTable t = alone == null ? new MarkdownTable("", "with the idle connections")
                : new MarkdownTable("", "alone (ALONE=1)", "with the idle connections");
        streamingRow(t, alone, mixed, "SLO verdict", s -> s.verdict()
                + (s.failedGates().isEmpty() ? "" : " (" + String.join(", ", s.failedGates()) + ")"));
        streamingRow(t, alone, mixed, "sessions connected / requested", s -> s.sessionsConnected() + " / " + s.sessions());
        streamingRow(t, alone, mixed, "newest frame → partial p50 / p95 ms (≤ 200 / 350)",
                s -> number(s.newestLatency().p50(), 1) + " / " + number(s.newestLatency().p95(), 1));
        streamingRow(t, alone, mixed, "oldest frame → partial p50 / p95 ms (≤ 1200 / 1650)",
                s -> number(s.oldestLatency().p50(), 1) + " / " + number(s.oldestLatency().p95(), 1));
        streamingRow(t, alone, mixed, "partials, errors", s -> s.partials() + ", " + s.errors());
        streamingRow(t, alone, mixed, "client-bound", s -> s.clientBound() ? "yes" : "no");
        RunEnv env = run.env();
        return t.render() + "\nTiming: ramp-up " + env.get("ramp_up_secs") + " s, start spread "
                + env.get("session_start_spread_ms") + " ms, warm-up " + env.get("warmup_secs") + " s, measured "
                + env.get("measure_secs") + " s; started once the idle connections were open.\n";
    }

    private static void streamingRow(MarkdownTable t, Summary alone, Summary mixed, String name,
                                     Function<Summary, String> cell) {
        if (alone == null) {
            t.row(name, cell.apply(mixed));
        } else {
            t.row(name, cell.apply(alone), cell.apply(mixed));
        }
    }

    private static String cpuLimit(DensityRun run) {
        double limit = run.env().getDouble("gateway_cpu_limit");
        if (!Double.isFinite(limit)) {
            return "none";
        }
        StringBuilder text = new StringBuilder(number(limit, 2)).append(" vCPU, CFS quota");
        CgroupCpuStat stat = run.cgroup();
        if (stat != null) {
            text.append("; throttled in ").append(stat.throttledPeriods()).append(" of ").append(stat.periods())
                    .append(" periods");
        }
        return text.toString();
    }

    private static String orNone(String value) {
        return orDefault(value, "none");
    }

    private static String orDefault(String value, String fallback) {
        return value.isEmpty() ? fallback : value;
    }

    private static double nanToZero(double value) {
        return Double.isNaN(value) ? 0 : value;
    }
}
