package dev.sttbench.loadgen.report;

import static dev.sttbench.loadgen.report.MarkdownTable.number;

import dev.sttbench.loadgen.report.Summary.Latency;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/** The {@code report.md} of one benchmark point. */
public final class PointReport {
    public static final String FILE_NAME = "report.md";
    /** Mean CPU above this share of the load generator's pinned CPUs makes its verdict suspect. */
    private static final double CLIENT_CPU_SATURATION = 0.9;

    private PointReport() {
    }

    public static String render(PointResult point) {
        Summary s = point.summary();
        RunEnv env = point.env();
        StringBuilder md = new StringBuilder();
        md.append("# ").append(env.get("label")).append(", ").append(s.sessions()).append(" sessions: ")
                .append(s.verdict()).append("\n\n");
        md.append(verdictSentence(s)).append("\n\n");
        md.append(PodSection.oomParagraphs(env));

        md.append("## Setup\n\n");
        MarkdownTable setup = new MarkdownTable("", "");
        setup.row("machine", env.get("cores") + " cores, " + env.get("cpu_model") + ", "
                + number(env.getLong("mem_total_kb", 0) / 1048576.0, 1) + " GiB");
        setup.row("kernel, OS", env.get("kernel") + ", " + env.get("os"));
        setup.row("JDK", env.get("jdk"));
        setup.row("gateway", env.get("gateway") + " at " + env.get("gateway_url"));
        if (env.has("gateway_env")) {
            setup.row("gateway config", env.get("gateway_env"));
        }
        setup.row("JVM flags", "gateway `" + env.get("gateway_java_opts") + "`, inference-sim `"
                + env.get("sim_java_opts") + "`, loadgen `" + env.get("loadgen_java_opts") + "`");
        setup.row("pinning (taskset)", "gateway " + CpuList.describe(env.get("gateway_cpus")) + ", inference-sim "
                + CpuList.describe(env.get("inference_cpus")) + ", loadgen " + CpuList.describe(env.get("loadgen_cpus")));
        List<String> scheduling = new ArrayList<>();
        if (env.has("nice")) {
            scheduling.add("all three processes at nice " + env.get("nice") + " (ahead of other work on a shared machine)");
        }
        if (env.getLong("loadgen_rt_priority", 0) > 0) {
            scheduling.add("loadgen's loops SCHED_FIFO at priority " + env.get("loadgen_rt_priority")
                    + " (no other task on their core delays a due frame)");
        }
        if (!scheduling.isEmpty()) {
            setup.row("scheduling", String.join("; ", scheduling));
        }
        setup.row("gateway CPU limit", limit(point));
        setup.row("timing", "ramp-up " + env.get("ramp_up_secs") + " s, start spread " + env.get("session_start_spread_ms")
                + " ms, warm-up " + env.get("warmup_secs") + " s, measured " + env.get("measure_secs") + " s");
        setup.row("load average (1/5/15 min)", "start " + env.get("loadavg_start") + ", end " + env.get("loadavg_end"));
        md.append(setup.render()).append('\n');

        md.append("## Latency over the measured window (ms)\n\n");
        MarkdownTable latency = new MarkdownTable("", ">p50", ">p95", ">p99", ">p99.9", ">max", "SLO");
        latencyRow(latency, "newest frame → partial", s.newestLatency(), "p50 ≤ 200, p95 ≤ 350");
        latencyRow(latency, "oldest frame → partial", s.oldestLatency(), "p50 ≤ 1200, p95 ≤ 1650");
        latencyRow(latency, "flush lateness", s.flushLateness(), "");
        latencyRow(latency, "client send lag", s.sendLag(), "");
        md.append(latency.render()).append('\n');

        md.append("## Counts\n\n");
        MarkdownTable counts = new MarkdownTable("", ">value");
        counts.row("sessions connected / requested", s.sessionsConnected() + " / " + s.sessions());
        counts.row("frames sent", s.framesSent());
        counts.row("partials (measured window)", s.partials());
        counts.row("protocol errors", s.protocolErrors());
        counts.row("error frames", s.inferenceErrors() + kinds(s.inferenceErrorCounts()));
        counts.row("timeouts", s.timeouts().values().stream().mapToLong(Long::longValue).sum() + kinds(s.timeouts()));
        counts.row("errors / partials (SLO ≤ 1e-5)", s.partials() == 0 ? "no partials"
                : String.format(Locale.ROOT, "%.2e", (double) s.errors() / s.partials()));
        md.append(counts.render()).append('\n');

        md.append("## Gateway\n\n");
        md.append(gatewaySection(point)).append('\n');

        if (PodSection.present(env)) {
            md.append("## Pods (POD=1)\n\n");
            md.append(PodSection.render(env)).append('\n');
        }

        md.append("## Load generator\n\n");
        md.append(clientSection(point)).append('\n');

        ProcSeries sim = point.process(PointResult.INFERENCE_SIM);
        if (sim != null) {
            md.append("## Inference simulator\n\n");
            md.append("Peak RSS ").append(number(point.peakRssMib(PointResult.INFERENCE_SIM), 1))
                    .append(" MiB, CPU over the measured window mean ")
                    .append(number(point.meanCpuPct(PointResult.INFERENCE_SIM), 1)).append(" %, max ")
                    .append(number(point.maxCpuPct(PointResult.INFERENCE_SIM), 1)).append(" %.\n\n");
        }
        md.append("CPU % is utime+stime over wall time from `/proc/<pid>/stat`, 100 % = one core; RSS is VmRSS. ")
                .append("Raw data: `summary.json`, `proc.csv` (one row per process per second)")
                .append(", `samples.csv` (not committed).\n");
        return md.toString();
    }

    private static String verdictSentence(Summary s) {
        return switch (s.verdict()) {
            case "PASS" -> "The point **passes** every SLO gate of PROTOCOL.md §4.";
            case "FAIL" -> "The point **fails** the SLO: " + String.join(", ", s.failedGates()) + ".";
            default -> "The point is **invalid**: the load generator fell behind its send schedule (client-bound), "
                    + "so its latencies measure the client, not the gateway (gates failed: "
                    + (s.failedGates().isEmpty() ? "none" : String.join(", ", s.failedGates())) + ").";
        };
    }

    private static String gatewaySection(PointResult point) {
        ProcSeries gateway = point.process(PointResult.GATEWAY);
        if (gateway == null) {
            return "The gateway was not sampled (external gateway without GATEWAY_PID).\n";
        }
        MarkdownTable t = new MarkdownTable("", ">value");
        t.row("peak RSS (whole run)", number(point.peakRssMib(PointResult.GATEWAY), 1) + " MiB");
        t.row("peak threads / open fds", gateway.peakThreads() + " / " + gateway.peakFds());
        t.row("CPU over the measured window, mean / max", number(point.meanCpuPct(PointResult.GATEWAY), 1) + " % / "
                + number(point.maxCpuPct(PointResult.GATEWAY), 1) + " % of one core");
        PointResult.GatewayCost cost = point.gatewayCost();
        if (cost != null) {
            t.row("CPU per audio frame", number(cost.microsPerFrame(), 2) + " µs");
            t.row("frames in the span", String.format(Locale.ROOT, "%.0f over %.1f s (%s)", cost.frames(),
                    cost.elapsedMs() / 1000.0, cost.framesMeasured()
                            ? "the gateway's /metrics " + point.env().get("gateway_frames_metric")
                            : "estimated as sessions × 50/s: no frame counter"));
            t.row("projected sessions per vCPU (upper bound)", number(cost.projectedSessionsPerVcpu(), 0));
        }
        LoopLag lag = point.loopLag();
        if (lag != null) {
            t.row("loop: how late due timers ran, p50 / p99 (window) / max (since start)", "≤ "
                    + lag.timerLatenessP50Micros() + " / ≤ " + lag.timerLatenessP99Micros() + " / "
                    + lag.timerLatenessMaxMicros() + " µs over " + lag.timers() + " timers");
            t.row("loop: working duty cycle, p50 / p99 (window)", "≤ " + lag.cycleP50Micros() + " / ≤ "
                    + lag.cycleP99Micros() + " µs");
        }
        double limit = point.cpuLimit();
        if (Double.isFinite(limit)) {
            t.row("sessions per vCPU at this point (sessions / limit)", number(point.summary().sessions() / limit, 0));
        }
        StringBuilder out = new StringBuilder(t.render());
        if (cost != null) {
            out.append("\nThe per-frame figure is all gateway CPU (WebSocket, flush timers, HTTP/2 to inference, ")
                    .append("GC) divided by the frames received, so the projection 1e6 µs / (µs per frame × 50) ")
                    .append("is an upper bound on what one vCPU can carry within the SLO.\n");
        }
        return out.toString();
    }

    private static String clientSection(PointResult point) {
        Summary s = point.summary();
        int cpus = point.loadgenCpus();
        double mean = point.meanCpuPct(PointResult.LOADGEN);
        MarkdownTable t = new MarkdownTable("", ">value");
        t.row("threads", s.clientThreads());
        t.row("CPU seconds (whole run)", number(s.clientCpuSeconds(), 1));
        t.row("CPU over the measured window, mean / max", number(mean, 1) + " % / "
                + number(point.maxCpuPct(PointResult.LOADGEN), 1) + " % (capacity " + cpus * 100 + " %)");
        t.row("send lag p99 / max", number(s.sendLag().p99(), 1) + " / " + number(s.sendLag().max(), 1) + " ms");
        StringBuilder out = new StringBuilder(t.render()).append('\n');
        boolean saturated = mean > CLIENT_CPU_SATURATION * cpus * 100;
        if (s.clientBound()) {
            out.append("**The client was the bottleneck**: loadgen flagged the run client-bound (send lag p99 ")
                    .append(number(s.sendLag().p99(), 1)).append(" ms), so this point says nothing about the gateway. ")
                    .append(saturated ? "Its CPU was saturated: give it more cores (LOADGEN_CPUS) or fewer sessions.\n"
                            : "Its CPU was not saturated, so the lag came from scheduling: other work on the machine, "
                                    + "JIT compilation or GC.\n");
        } else if (saturated) {
            out.append("The client kept its send schedule, but used ").append(number(mean, 0))
                    .append(" % of its ").append(cpus * 100)
                    .append(" % CPU: it was close to being the bottleneck.\n");
        } else {
            out.append("The client was not the bottleneck: it kept its send schedule (send lag p99 ")
                    .append(number(s.sendLag().p99(), 1)).append(" ms) with CPU to spare.\n");
        }
        return out.toString();
    }

    private static String limit(PointResult point) {
        double limit = point.cpuLimit();
        if (!Double.isFinite(limit)) {
            return "none";
        }
        StringBuilder text = new StringBuilder(number(limit, 2)).append(" vCPU, CFS quota (")
                .append(point.env().get("cgroup")).append(')');
        CgroupCpuStat stat = point.cgroup();
        if (stat != null) {
            text.append("; throttled in ").append(stat.throttledPeriods()).append(" of ").append(stat.periods())
                    .append(" periods (").append(number(100.0 * stat.throttledPeriods() / Math.max(1, stat.periods()), 1))
                    .append(" %), ").append(number(stat.throttledMs(), 0)).append(" ms in total");
        }
        return text.toString();
    }

    private static void latencyRow(MarkdownTable table, String name, Latency l, String slo) {
        table.row(name, number(l.p50(), 1), number(l.p95(), 1), number(l.p99(), 1), number(l.p999(), 1),
                number(l.max(), 1), slo);
    }


    private static String kinds(Map<String, Long> counts) {
        StringJoiner joined = new StringJoiner(", ", " (", ")");
        joined.setEmptyValue("");
        counts.forEach((kind, n) -> {
            if (n > 0) {
                joined.add(kind + " " + n);
            }
        });
        return joined.toString();
    }
}
