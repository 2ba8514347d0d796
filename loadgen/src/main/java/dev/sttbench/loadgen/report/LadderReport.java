package dev.sttbench.loadgen.report;

import static dev.sttbench.loadgen.report.MarkdownTable.number;

import java.util.stream.Collectors;

/** The {@code report.md} of a ladder: the capacity figure, one row per run, and the plots. */
public final class LadderReport {
    private LadderReport() {
    }

    public static String render(Ladder ladder, String label) {
        Ladder.Ceiling ceiling = ladder.ceiling();
        PointResult any = ladder.runs().stream().map(Ladder.Run::result).filter(r -> r != null).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(ladder.dir() + ": no run has results"));
        RunEnv env = any.env();
        double limit = any.cpuLimit();
        StringBuilder md = new StringBuilder("# Capacity ladder: ").append(label).append("\n\n");
        md.append(ceilingSentence(ceiling, limit));
        String invalid = ladder.runs().stream().filter(r -> r.sessions() > ceiling.confirmed() && r.result() != null
                        && r.verdict().equals("INVALID")).map(r -> String.valueOf(r.sessions())).distinct()
                .collect(Collectors.joining(", "));
        if (!invalid.isEmpty()) {
            md.append(" Runs at ").append(invalid).append(" sessions were invalid (the load generator was ")
                    .append("client-bound), so the gateway's real ceiling may be higher than this machine could show.");
        }
        md.append("\n\n");
        md.append("Machine: ").append(env.get("cores")).append(" cores, ").append(env.get("cpu_model")).append(", ")
                .append(env.get("kernel")).append(", ").append(env.get("jdk")).append(".  \n");
        md.append("Pinning: gateway ").append(CpuList.describe(env.get("gateway_cpus"))).append(", inference-sim ")
                .append(CpuList.describe(env.get("inference_cpus"))).append(", loadgen ").append(CpuList.describe(env.get("loadgen_cpus")))
                .append("; gateway CPU limit ")
                .append(Double.isFinite(limit) ? number(limit, 2) + " vCPU (CFS quota)" : "none").append(".  \n");
        md.append("Timing per point: ramp-up ").append(env.get("ramp_up_secs")).append(" s, spread ")
                .append(env.get("session_start_spread_ms")).append(" ms, warm-up ").append(env.get("warmup_secs"))
                .append(" s, measured ").append(env.get("measure_secs")).append(" s.\n\n");

        md.append("![latency versus sessions](").append(PlotCommand.LATENCY_PNG).append(")\n\n");
        md.append("![gateway CPU and RSS versus sessions](").append(PlotCommand.GATEWAY_PNG).append(")\n\n");

        MarkdownTable table = new MarkdownTable(">sessions", ">run", "verdict", ">newest p50", ">newest p95",
                ">oldest p50", ">oldest p95", ">errors", ">gateway CPU mean %", ">gateway peak RSS MiB",
                ">gateway µs/frame", ">throttled periods %", "client bound");
        for (Ladder.Run run : ladder.runs()) {
            PointResult p = run.result();
            if (p == null) {
                table.row(run.sessions(), run.attempt(), run.verdict(), "", "", "", "", "", "", "", "", "", "");
                continue;
            }
            Summary s = p.summary();
            PointResult.GatewayCost cost = p.gatewayCost();
            CgroupCpuStat stat = p.cgroup();
            table.row(run.sessions(), run.attempt(), failed(s),
                    number(s.newestLatency().p50(), 0), number(s.newestLatency().p95(), 0),
                    number(s.oldestLatency().p50(), 0), number(s.oldestLatency().p95(), 0), s.errors(),
                    number(p.meanCpuPct(PointResult.GATEWAY), 1), number(p.peakRssMib(PointResult.GATEWAY), 0),
                    cost == null ? "n/a" : number(cost.microsPerFrame(), 1),
                    stat == null ? "n/a" : number(100.0 * stat.throttledPeriods() / Math.max(1, stat.periods()), 1),
                    s.clientBound() ? "yes" : "no");
        }
        md.append("Latencies in ms over each run's measured window; each run's own report is in its directory.\n\n");
        md.append(table.render());
        return md.toString();
    }

    /** One line for README tables and the terminal. */
    public static String ceilingSentence(Ladder.Ceiling ceiling, double limit) {
        StringBuilder text = new StringBuilder();
        if (ceiling.confirmed() > 0) {
            text.append("**Confirmed ceiling: ").append(ceiling.confirmed()).append(" sessions**");
            if (Double.isFinite(limit)) {
                text.append(" = ").append(number(ceiling.confirmed() / limit, 0)).append(" sessions per vCPU");
            }
            text.append(" (passed twice)");
            if (!ceiling.bracketed()) {
                text.append("; no higher count failed, so this is a lower bound");
            }
        } else {
            text.append("**No confirmed ceiling**: no session count passed twice");
        }
        if (!ceiling.borderline().isEmpty()) {
            text.append("; borderline (one pass, one fail): ")
                    .append(ceiling.borderline().stream().map(String::valueOf).collect(Collectors.joining(", ")));
        }
        return text.append('.').toString();
    }

    private static String failed(Summary s) {
        return s.failedGates().isEmpty() ? s.verdict() : s.verdict() + " (" + String.join(", ", s.failedGates()) + ")";
    }
}
